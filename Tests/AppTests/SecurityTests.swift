import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOSSL
import Testing
import TestSupport
@testable import Auth
@testable import App

@Suite struct SecurityHeaderTests {
    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await TestApplication.run { client, _ in
            for path in ["/", "/status.js", "/api/v1/info", "/api/nothing", "/healthz"] {
                let response = try await client.execute(uri: path, method: .get)
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("script-src 'self'"), "\(path)")
                #expect(!csp.contains("unsafe-inline"), "\(path)")
                #expect(csp.contains("frame-ancestors 'none'"), "\(path)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "strict-origin-when-cross-origin", "\(path)")
                // Plain HTTP: no HSTS.
                #expect(response.headers[.strictTransportSecurity] == nil, "\(path)")
            }
        }
    }

    /// The headers are defaults: a route that sets one itself (a stricter policy, as file
    /// downloads do) keeps its own, and gets the others.
    @Test func aRoutesOwnSecurityHeadersSurviveTheDefaults() async throws {
        try await TestApplication.run(extraRoutes: { router in
            router.get("api/v1/test/sandboxed") { _, _ in
                Response(status: .ok, headers: [.contentSecurityPolicy: "default-src 'none'; sandbox", .xFrameOptions: "SAMEORIGIN"])
            }
        }) { client, _ in
            let response = try await client.execute(uri: "/api/v1/test/sandboxed", method: .get)
            #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")
            #expect(response.headers[fields: .contentSecurityPolicy].count == 1)
            #expect(response.headers[.xFrameOptions] == "SAMEORIGIN")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "strict-origin-when-cross-origin")
        }
    }

    /// Every page under `Public/` (the CSP allows no inline script or style, so one would break).
    @Test func thePagesHaveNoInlineScriptOrStyle() throws {
        let root = TestDatabase.repositoryRoot.appendingPathComponent("Public")
        let pages = (FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? [])
            .filter { $0.pathExtension == "html" }
        #expect(pages.count >= 4, "the front door, the workspace, the chat page and the demo: \(pages)")
        for page in pages {
            let html = try String(contentsOf: page, encoding: .utf8)
            let name = page.lastPathComponent
            // A script element must name its file; no handler attribute, no style element or attribute.
            for tag in html.components(separatedBy: "<script").dropFirst() {
                let opening = tag.prefix { $0 != ">" }
                #expect(opening.contains("src="), "\(name): an inline <script\(opening)>")
            }
            for inline in [" onclick=", " onload=", " onerror=", " onsubmit=", "<style", " style=\"", "javascript:"] {
                #expect(!html.lowercased().contains(inline), "\(name) holds \(inline)")
            }
        }
    }
}

@Suite struct LoginThrottleTests {
    @Test func locksAnAccountAfterTooManyFailuresUntilTheWindowPasses() throws {
        let throttle = LoginThrottle(limits: .init(failuresPerAccount: 3, failuresPerIP: 100, window: 60))
        let start = Date()
        for _ in 0..<3 {
            try throttle.check(tenant: "acme", email: "a@x", ip: "1", now: start)
            throttle.recordFailure(tenant: "acme", email: "A@X", ip: "1", now: start)
        }
        #expect(throws: LoginThrottle.Throttled(retryAfterSeconds: 60)) { try throttle.check(tenant: "acme", email: "a@x", ip: "2", now: start) }
        // Other accounts are not affected; the lock lifts when the failures age out.
        try throttle.check(tenant: "acme", email: "b@x", ip: "2", now: start)
        try throttle.check(tenant: "acme", email: "a@x", ip: "2", now: start.addingTimeInterval(61))
    }

    @Test func locksAnAddressThatTriesManyAccounts() throws {
        let throttle = LoginThrottle(limits: .init(failuresPerAccount: 100, failuresPerIP: 3, window: 60))
        for index in 0..<3 { throttle.recordFailure(tenant: "acme", email: "user\(index)@x", ip: "9.9.9.9") }
        #expect(throws: LoginThrottle.Throttled.self) { try throttle.check(tenant: "acme", email: "new@x", ip: "9.9.9.9") }
        try throttle.check(tenant: "acme", email: "new@x", ip: "8.8.8.8")
    }

    @Test func aThrottledAccountGets429WithRetryAfterEvenWithTheRightPassword() async throws {
        try await TestApplication.runWithTenant(environment: ["KEFU_LOGIN_FAILURES_PER_ACCOUNT": "3"]) { client in
            func login(_ password: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"tenant":"acme","email":"boss@acme.example","password":"\#(password)"}"#))
            }
            for _ in 0..<3 { #expect(try await login("wrong-password-x").status == .unauthorized) }
            let throttled = try await login(TestApplication.password)
            #expect(throttled.status == .tooManyRequests)
            #expect(try throttled.json()["code"] as? String == "rate-limited")
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 > 0)
        }
    }
}

/// HTTPS with a certificate made for the test, checked by a real TLS client.
@Suite(.serialized) struct TLSServerTests {
    static func makeCertificate(in directory: String) throws -> (certificate: String, key: String) {
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", certificate]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSetupError("openssl failed") }
        return (certificate, key)
    }

    @Test func servesHTTPSWithHSTSAndRedirectsPlainHTTP() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (certificate, key) = try Self.makeCertificate(in: directory)

        try await TestDatabase.with(migrated: false) { endpoint in
            // Both ports picked by the system (0) and read from the log.
            let server = try KefuProcess(["serve"], environment: [
                "DATABASE_URL": try KefuProcess.databaseURL(endpoint.database),
                "KEFU_TLS_CERT": certificate, "KEFU_TLS_KEY": key, "KEFU_TLS_REDIRECT_PORT": "0",
                "KEFU_DATA_DIR": directory + "/data",
            ])
            defer { server.signal(SIGTERM) }
            let port = try await server.waitUntilListening()
            #expect(server.output.contains("listening on https://127.0.0.1:\(port)"))
            let redirectPort = try await server.waitForLoggedPort(after: "redirecting to HTTPS from ")
            #expect(redirectPort != port)

            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(certificate)
            let deadline = ContinuousClock.now + .seconds(60)
            var response: TestClient.Response?
            while response == nil, ContinuousClock.now < deadline {
                response = try? await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(tlsConfiguration: tls, serverName: "localhost")) { client in
                    try await client.get("/readyz")
                }
                if response == nil { try await Task.sleep(for: .milliseconds(250)) }
            }
            let ready = try #require(response, "\(server.output)")
            #expect(ready.status == .ok)
            #expect(ready.headers[.strictTransportSecurity] == "max-age=31536000; includeSubDomains")

            let redirect = try await TestClient.withClient(host: "127.0.0.1", port: redirectPort) { client in
                try await client.execute(.init("/api/v1/info?x=1", method: .get, authority: "localhost:\(redirectPort)"))
            }
            #expect(redirect.status == .permanentRedirect)
            #expect(redirect.headers[.location] == "https://localhost:\(port)/api/v1/info?x=1")

            // A client that does not trust the certificate is refused by its own TLS check.
            let untrusted = try? await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(tlsConfiguration: .makeClientConfiguration(), serverName: "localhost")) { client in
                try await client.get("/healthz")
            }
            #expect(untrusted == nil)
        }
    }
}

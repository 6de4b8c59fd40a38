import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import App

/// `KEFU_TRUSTED_PROXIES`: whose forwarding headers are believed, and what they yield.
@Suite struct ClientAddressResolverTests {
    func resolve(trusting proxies: String, peer: String, _ headers: [ForwardedHeaders.Name: [String]] = [:], tls: Bool = false) throws -> ClientAddress {
        let resolver = ClientAddressResolver(trustedProxies: try TrustedProxies(parsing: proxies), directTLS: tls)
        return resolver.resolve(peer: try SocketAddress(ipAddress: peer, port: 40_000)) { headers[$0] ?? [] }
    }

    @Test func aSpoofedForwardedForFromAnUntrustedPeerChangesNothing() throws {
        let spoofed: [ForwardedHeaders.Name: [String]] = [
            .forwardedFor: ["198.51.100.77"], .forwarded: ["for=198.51.100.78;proto=https"], .forwardedProto: ["https"],
        ]
        #expect(try resolve(trusting: "", peer: "203.0.113.9", spoofed) == ClientAddress(ip: "203.0.113.9", isHTTPS: false))
        #expect(try resolve(trusting: "10.0.0.0/8", peer: "203.0.113.9", spoofed) == ClientAddress(ip: "203.0.113.9", isHTTPS: false))
    }

    @Test func theClientIsTheRightmostHopThatIsNotATrustedProxy() throws {
        // The client wrote 6.6.6.6 itself; the edge proxy appended the client's real address,
        // an inner proxy (trusted) appended the edge's.
        let chain: [ForwardedHeaders.Name: [String]] = [.forwardedFor: ["6.6.6.6, 198.51.100.4", "10.1.2.3"]]
        #expect(try resolve(trusting: "10.0.0.0/8, 127.0.0.1", peer: "127.0.0.1", chain).ip == "198.51.100.4")
        // Every hop trusted: the farthest one is the client.
        #expect(try resolve(trusting: "10.0.0.0/8,127.0.0.1", peer: "127.0.0.1", [.forwardedFor: ["10.9.9.9, 10.1.2.3"]]).ip == "10.9.9.9")
        // A hop that is not an address ends the walk at the nearest address known.
        #expect(try resolve(trusting: "10.0.0.0/8,127.0.0.1", peer: "127.0.0.1", [.forwardedFor: ["198.51.100.4, unknown, 10.1.2.3"]]).ip == "10.1.2.3")
        // A trusted peer that forwards nothing is the client itself.
        #expect(try resolve(trusting: "127.0.0.1", peer: "127.0.0.1").ip == "127.0.0.1")
    }

    @Test func forwardedIsPreferredAndCarriesIPv6AddressesPortsAndTheScheme() throws {
        let headers: [ForwardedHeaders.Name: [String]] = [
            .forwarded: [#"for=192.0.2.60;proto=http, For="[2001:DB8:cafe::17]:4711";proto=https;by=10.0.0.1"#],
            .forwardedFor: ["9.9.9.9"],
        ]
        #expect(try resolve(trusting: "10.0.0.0/8", peer: "10.0.0.1", headers) == ClientAddress(ip: "2001:db8:cafe::17", isHTTPS: true))
        let ipv4WithPort: [ForwardedHeaders.Name: [String]] = [.forwardedFor: ["198.51.100.4:51234"], .forwardedProto: ["https"]]
        #expect(try resolve(trusting: "10.0.0.0/8", peer: "10.0.0.1", ipv4WithPort) == ClientAddress(ip: "198.51.100.4", isHTTPS: true))
    }

    @Test func theSchemeIsHTTPSWhenServedOverTLSOrATrustedProxySaysSo() throws {
        #expect(try resolve(trusting: "", peer: "203.0.113.9", tls: true).isHTTPS)
        #expect(try resolve(trusting: "127.0.0.1", peer: "127.0.0.1", [.forwardedProto: ["https"]]).isHTTPS)
        #expect(try !resolve(trusting: "127.0.0.1", peer: "127.0.0.1", [.forwardedProto: ["http"]]).isHTTPS)
    }

    @Test func rangesMatchByPrefixAndCoverIPv4MappedPeers() throws {
        let proxies = try TrustedProxies(parsing: " 10.0.0.0/8 ,192.168.1.7, 2001:db8::/32,::ffff:172.16.0.0/108")
        for inside in ["10.200.3.4", "192.168.1.7", "2001:db8:1::9", "::ffff:10.1.1.1", "172.16.5.5"] {
            #expect(proxies.contains(try #require(IPAddress(inside))), "\(inside)")
        }
        for outside in ["11.0.0.1", "192.168.1.8", "2001:db9::1", "172.32.0.1", "::1"] {
            #expect(!proxies.contains(try #require(IPAddress(outside))), "\(outside)")
        }
        #expect(TrustedProxies.none.isEmpty)
        #expect(IPAddress("localhost") == nil)
    }

    @Test func limitsCountAnIPv6ClientByItsSlash64() {
        #expect(IPAddress.rateLimitKey("203.0.113.7") == "203.0.113.7")
        #expect(IPAddress.rateLimitKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64")
        #expect(IPAddress.rateLimitKey("2001:db8:1:2::1") == IPAddress.rateLimitKey("2001:db8:1:2:ffff::9"), "one subscriber's network")
        #expect(IPAddress.rateLimitKey("2001:db8:1:3::1") != IPAddress.rateLimitKey("2001:db8:1:2::1"))
        #expect(IPAddress.rateLimitKey("::ffff:10.0.0.1") == "10.0.0.1", "an IPv4-mapped address is its IPv4 address")
    }

    @Test(arguments: ["10.0.0.0/33", "example.com", "10.0.0.0/8,nonsense", "2001:db8::/129", "10.0.0/8"])
    func anInvalidTrustedProxyStopsStartupNamingTheVariable(value: String) {
        do {
            _ = try TestApplication.configuration(["KEFU_TRUSTED_PROXIES": value])
            Issue.record("KEFU_TRUSTED_PROXIES=\(value) was accepted")
        } catch {
            #expect(String(describing: error).hasPrefix("invalid KEFU_TRUSTED_PROXIES="))
        }
    }

    @Test func theRealtimeLimitsHaveTheirDocumentedDefaults() throws {
        let configuration = try TestApplication.configuration()
        #expect(configuration.webSocketUpgradeRateLimitPerMinute == 120)
        #expect(configuration.trustedProxies.isEmpty)
        #expect(try TestApplication.configuration(["KEFU_WS_UPGRADE_RATE_LIMIT": "0"]).webSocketUpgradeRateLimitPerMinute == 0)
    }
}

/// The one client address behind a proxy, end to end over a real loopback connection: login
/// throttling, the audit log and session cookies.
@Suite struct ClientAddressLiveTests {
    static func login(_ client: any TestClientProtocol, password: String = TestApplication.password, email: String = "boss@acme.example",
                      mode: String? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var body: [String: String] = ["tenant": "acme", "email": email, "password": password]
        if let mode { body["mode"] = mode }
        var headers = extra
        headers[.contentType] = "application/json"
        return try await client.execute(uri: "/api/v1/auth/login", method: .post, headers: headers,
                                        body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
    }

    static func forwardedFor(_ address: String) -> HTTPFields {
        [HTTPField.Name("X-Forwarded-For")!: address]
    }

    @Test func aSpoofedForwardedForFromAnUntrustedPeerDoesNotEscapeLoginThrottling() async throws {
        try await TestApplication.runWithTenant(environment: ["KEFU_LOGIN_FAILURES_PER_IP": "2", "KEFU_LOGIN_FAILURES_PER_ACCOUNT": "100"],
                                                setup: .live) { client in
            #expect(try await Self.login(client, password: "wrong-password-1", headers: Self.forwardedFor("198.51.100.1")).status == .unauthorized)
            #expect(try await Self.login(client, password: "wrong-password-2", headers: Self.forwardedFor("198.51.100.2")).status == .unauthorized)
            // Every attempt counted against the peer, 127.0.0.1, whatever the header says.
            let third = try await Self.login(client, headers: Self.forwardedFor("198.51.100.3"))
            #expect(third.status == .tooManyRequests)
        }
    }

    @Test func behindATrustedProxyEachForwardedClientIsThrottledAndAuditedOnItsOwn() async throws {
        try await TestApplication.runWithTenant(environment: [
            "KEFU_LOGIN_FAILURES_PER_IP": "2", "KEFU_LOGIN_FAILURES_PER_ACCOUNT": "100", "KEFU_TRUSTED_PROXIES": "127.0.0.1",
        ], setup: .live) { client in
            for attempt in 1...2 {
                let failed = try await Self.login(client, password: "wrong-password-\(attempt)", headers: Self.forwardedFor("198.51.100.1"))
                #expect(failed.status == .unauthorized)
            }
            #expect(try await Self.login(client, headers: Self.forwardedFor("198.51.100.1")).status == .tooManyRequests)
            // Another visitor behind the same proxy is not locked out.
            let other = try await Self.login(client, headers: Self.forwardedFor("6.6.6.6, 203.0.113.50"))
            #expect(other.status == .ok, "\(other.text)")
            let token = try #require(try other.json()["token"] as? String)
            let audit = try await client.execute(uri: "/api/v1/audit?action=auth.login", method: .get,
                                                 headers: [.authorization: "Bearer \(token)"], body: nil)
            let entries = try audit.json()["items"] as? [[String: Any]] ?? []
            #expect(entries.first?["ip"] as? String == "203.0.113.50")
        }
    }

    /// The `Set-Cookie` lines of a response by cookie name.
    static func cookies(_ response: TestResponse) -> [String: String] {
        var cookies: [String: String] = [:]
        for line in response.headers[values: .setCookie] {
            let name = String(line.prefix { $0 != "=" })
            cookies[name] = line
        }
        return cookies
    }

    static func value(_ line: String?) -> String {
        String((line ?? "").split(separator: ";").first?.drop { $0 != "=" }.dropFirst() ?? "")
    }

    @Test func cookiesOverHTTPSAreSecureAndHostPrefixedAndCookieModeKeepsTheTokenOutOfTheBody() async throws {
        try await TestApplication.runWithTenant(environment: ["KEFU_TRUSTED_PROXIES": "127.0.0.1"], setup: .live) { client in
            let https: HTTPFields = [HTTPField.Name("X-Forwarded-Proto")!: "https"]
            let response = try await Self.login(client, mode: "cookie", headers: https)
            #expect(response.status == .ok, "\(response.text)")
            #expect(try response.json()["token"] == nil)
            #expect(try response.json()["user"] != nil)
            let cookies = Self.cookies(response)
            let session = try #require(cookies["__Host-kefu_session"])
            let csrf = try #require(cookies["__Host-kefu_csrf"])
            #expect(cookies["kefu_session"] == nil)
            for attribute in ["Secure", "HttpOnly", "Path=/"] { #expect(session.contains(attribute), "\(session)") }
            #expect(csrf.contains("Secure") && !csrf.contains("HttpOnly") && !csrf.contains("Domain"))

            // The browser sends them back: reads work, a mutation needs the CSRF header.
            let cookieHeader = "__Host-kefu_session=\(Self.value(session)); __Host-kefu_csrf=\(Self.value(csrf))"
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookieHeader], body: nil)
            #expect(me.status == .ok)
            let forged = try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: [.cookie: cookieHeader], body: nil)
            #expect(forged.problemCode == "csrf-failed")
            let logout = try await client.execute(uri: "/api/v1/auth/logout", method: .post,
                                                  headers: [.cookie: cookieHeader, HTTPField.Name("X-CSRF-Token")!: Self.value(csrf),
                                                            HTTPField.Name("X-Forwarded-Proto")!: "https"], body: nil)
            #expect(logout.status == .noContent)
            #expect(Self.cookies(logout)["__Host-kefu_session"]?.contains("Max-Age=0") == true)

            // Without the mode the answer is unchanged for API clients; plain HTTP gets plain names.
            let plain = try await Self.login(client)
            #expect(try plain.json()["token"] is String)
            let plainSession = try #require(Self.cookies(plain)["kefu_session"])
            #expect(!plainSession.contains("Secure"))
            #expect(Self.cookies(plain)["__Host-kefu_session"] == nil)
        }
    }

    @Test func httpsClaimedByAnUntrustedPeerIsIgnoredAndCookieSecureStillForcesSecure() async throws {
        try await TestApplication.runWithTenant(setup: .live) { client in
            let claimed = try await Self.login(client, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            let session = try #require(Self.cookies(claimed)["kefu_session"])
            #expect(!session.contains("Secure"))
        }
        try await TestApplication.runWithTenant(environment: ["KEFU_COOKIE_SECURE": "true"]) { client in
            let forced = try await Self.login(client)
            let session = try #require(Self.cookies(forced)["kefu_session"])
            #expect(session.contains("Secure"))
            #expect(Self.cookies(forced)["kefu_csrf"].map { $0.contains("Secure") } == true)
        }
    }
}

import Auth
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOEmbedded
import Tenancy
import Testing
import TestSupport
@testable import Admin
@testable import App

@Suite struct AuthAPITests {
    static let password = TestApplication.password

    func withTenant(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TestApplication.runWithTenant(test)
    }

    func login(_ client: any TestClientProtocol, password: String = Self.password, tenant: String = "acme") async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"tenant":"\#(tenant)","email":"BOSS@acme.example","password":"\#(password)"}"#))
    }

    func cookies(_ response: TestResponse) -> [String: String] {
        var jar: [String: String] = [:]
        for field in response.headers where field.name == .setCookie {
            let pair = field.value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            jar[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return jar
    }

    @Test func loginReturnsATokenAndSetsAnHttpOnlySessionCookie() async throws {
        try await withTenant { client in
            let response = try await login(client)
            #expect(response.status == .ok)
            let body = try response.json()
            let token = try #require(body["token"] as? String)
            #expect(token.hasPrefix("kfs_"))
            #expect((body["user"] as? [String: Any])?["email"] as? String == "boss@acme.example")
            #expect((body["user"] as? [String: Any])?["passwordHash"] == nil)
            let setCookies = response.headers[values: .setCookie]
            let session = try #require(setCookies.first { $0.hasPrefix("kefu_session=") })
            #expect(session.contains("HttpOnly"))
            #expect(session.contains("SameSite=Lax"))
            #expect(setCookies.contains { $0.hasPrefix("kefu_csrf=") && !$0.contains("HttpOnly") })

            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(me.status == .ok)
            #expect((try me.json()["permissions"] as? [String])?.contains("users.manage") == true)
        }
    }

    @Test func badCredentialsAre401WithoutSayingWhichPartWasWrong() async throws {
        try await withTenant { client in
            let wrongPassword = try await login(client, password: "not-the-password")
            let unknownTenant = try await login(client, tenant: "nope")
            for response in [wrongPassword, unknownTenant] {
                #expect(response.status == .unauthorized)
                #expect(try response.json()["code"] as? String == "invalid-credentials")
            }
            #expect(try wrongPassword.json()["detail"] as? String == (try unknownTenant.json()["detail"] as? String))
        }
    }

    @Test func withoutASessionProtectedRoutesAre401() async throws {
        try await withTenant { client in
            for headers: HTTPFields in [[:], [.authorization: "Bearer kfs_forged"], [.authorization: "Basic abc"]] {
                let response = try await client.execute(uri: "/api/v1/me", method: .get, headers: headers)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(try response.json()["code"] as? String == "unauthenticated")
            }
        }
    }

    @Test func cookieMutationsNeedTheCSRFToken() async throws {
        try await withTenant { client in
            let jar = cookies(try await login(client))
            let cookie = "kefu_session=\(jar["kefu_session"]!); kefu_csrf=\(jar["kefu_csrf"]!)"
            // Reading with the cookie alone is fine.
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookie]).status == .ok)
            let refused = try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: [.cookie: cookie])
            #expect(refused.status == .forbidden)
            #expect(try refused.json()["code"] as? String == "csrf-failed")
            let wrong = try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: [.cookie: cookie, AuthenticationMiddleware.csrfHeader: "guess"])
            #expect(wrong.status == .forbidden)
            let accepted = try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: [.cookie: cookie, AuthenticationMiddleware.csrfHeader: jar["kefu_csrf"]!])
            #expect(accepted.status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    @Test func sessionsCanBeListedAndRevokedButOnlyOnesOwn() async throws {
        try await withTenant { client in
            let first = try await login(client).json()["token"] as! String
            let second = try await login(client).json()["token"] as! String
            let auth: HTTPFields = [.authorization: "Bearer \(first)"]
            let list = try await client.execute(uri: "/api/v1/sessions", method: .get, headers: auth).json()
            let items = list["items"] as? [[String: Any]] ?? []
            #expect(items.count == 2)
            #expect(items.filter { $0["current"] as? Bool == true }.count == 1)
            let other = try #require(items.first { $0["current"] as? Bool == false }?["id"] as? String)
            // A guessed or foreign id is 404, never a success.
            #expect(try await client.execute(uri: "/api/v1/sessions/\(UUID())", method: .delete, headers: auth).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/sessions/not-a-uuid", method: .delete, headers: auth).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/sessions/\(other)", method: .delete, headers: auth).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(second)"]).status == .unauthorized)
        }
    }

    @Test func logoutEverywhereEndsEverySession() async throws {
        try await withTenant { client in
            let first = try await login(client).json()["token"] as! String
            let second = try await login(client).json()["token"] as! String
            #expect(try await client.execute(uri: "/api/v1/auth/logout-all", method: .post, headers: [.authorization: "Bearer \(first)"]).status == .noContent)
            for token in [first, second] {
                #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]).status == .unauthorized)
            }
        }
    }

    @Test func aMissingPermissionIs403() throws {
        var context = KefuRequestContext(source: .init(channel: EmbeddedChannel(), logger: TestDatabase.logger))
        context.principal = Principal(tenantID: UUID(), userID: UUID(), credential: .session(UUID()), permissions: BuiltinRole.agent.permissions)
        #expect(throws: APIError.self) { try context.authorize(.permission(.usersManage)) }
        #expect(try context.authorize(.permission(.conversationsReply)) != nil)
        do {
            try context.authorize(.permission(.auditRead))
        } catch let error as APIError {
            #expect(error.status == .forbidden)
            #expect(error.code == "forbidden")
        }
    }
}

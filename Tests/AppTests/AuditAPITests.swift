import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Tenancy
import Testing
import TestSupport
@testable import Auth
@testable import App

@Suite struct AuditAPITests {
    static let password = TestApplication.password

    func withTenant(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TestApplication.runWithTenant(test)
    }

    func token(_ client: any TestClientProtocol, _ email: String) async throws -> HTTPFields {
        let response = try await client.execute(
            uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"tenant":"acme","email":"\#(email)","password":"\#(Self.password)"}"#))
        return [.authorization: "Bearer \(try response.json()["token"] as! String)"]
    }

    @Test func ownersReadAndVerifyTheLogAgentsMayNot() async throws {
        try await withTenant { client in
            let owner = try await token(client, "boss@acme.example")
            let page = try await client.execute(uri: "/api/v1/audit?limit=2", method: .get, headers: owner)
            #expect(page.status == .ok)
            let body = try page.json()
            let items = body["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["action"] as? String } == ["auth.login", "user.created"])
            let cursor = try #require(body["nextCursor"] as? String)
            let older = try await client.execute(uri: "/api/v1/audit?before=\(cursor)", method: .get, headers: owner).json()
            #expect((older["items"] as? [[String: Any]])?.map { $0["action"] as? String } == ["tenant.created"])
            #expect(older["nextCursor"] == nil)

            let filtered = try await client.execute(uri: "/api/v1/audit?action=tenant.created", method: .get, headers: owner).json()
            #expect((filtered["items"] as? [[String: Any]])?.count == 1)

            let verify = try await client.execute(uri: "/api/v1/audit/verify", method: .get, headers: owner).json()
            #expect(verify["ok"] as? Bool == true)

            let agent = try await token(client, "agent@acme.example")
            for path in ["/api/v1/audit", "/api/v1/audit/verify"] {
                let refused = try await client.execute(uri: path, method: .get, headers: agent)
                #expect(refused.status == .forbidden)
                #expect(try refused.json()["code"] as? String == "forbidden")
            }
        }
    }

    @Test func badFiltersAre422NamingTheParameter() async throws {
        try await withTenant { client in
            let owner = try await token(client, "boss@acme.example")
            let response = try await client.execute(uri: "/api/v1/audit?limit=0&since=yesterday&actor=bob", method: .get, headers: owner)
            #expect(response.status == .unprocessableContent)
            let fields = (try response.json()["errors"] as? [[String: String]])?.compactMap { $0["field"] }
            #expect(fields == ["limit", "actor", "since"])
        }
    }
}

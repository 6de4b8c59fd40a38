import Foundation
import HummingbirdTesting
import PostgresNIO
import Testing
import TestSupport
@testable import App

@Suite struct TokensAPITests {
    @Test func aTokenIsShownOnceWorksWithinItsPermissionsAndIsAuditedAsItself() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let created = try await boss.post("/api/v1/tokens", ["name": "CRM sync", "permissions": ["users.manage", "teams.manage"]])
            #expect(created.status == .created)
            let body = try created.json()
            let secret = try #require(body["token"] as? String)
            #expect(secret.hasPrefix("kft_"))
            let id = try #require((body["details"] as? [String: Any])?["id"] as? String)
            let listed = try await boss.get("/api/v1/tokens")
            #expect(!listed.text.contains(secret))
            #expect((try listed.json()["items"] as? [[String: Any]])?.first?["lastUsedAt"] == nil)

            let token = APISession(client: client, token: secret)
            #expect(try await token.get("/api/v1/users").status == .ok)
            #expect(try await token.get("/api/v1/me").json()["credential"] as? String == "token")
            let forbidden = try await token.get("/api/v1/audit")
            #expect(forbidden.status == .forbidden)
            #expect(try await token.get("/api/v1/sessions").problemCode == "session-required")
            #expect(try await token.post("/api/v1/me/password", ["currentPassword": "x", "newPassword": "y"]).problemCode == "session-required")
            let team = try await token.post("/api/v1/teams", ["name": "Synced"])
            #expect(team.status == .created)
            let teamID = try #require(try team.json()["id"] as? String)

            let entries = try await boss.get("/api/v1/audit?action=team.created").json()["items"] as? [[String: Any]] ?? []
            let actor = try #require(entries.first { ($0["target"] as? [String: Any])?["id"] as? String == teamID.lowercased() }?["actor"] as? [String: Any])
            #expect(actor["type"] as? String == "token")
            #expect((actor["id"] as? String)?.lowercased() == id.lowercased())
            let used = try await boss.get("/api/v1/tokens").json()["items"] as? [[String: Any]]
            #expect(used?.first?["lastUsedAt"] as? String != nil)

            #expect(try await boss.delete("/api/v1/tokens/\(id)").status == .noContent)
            let revoked = try await token.get("/api/v1/users")
            #expect(revoked.status == .unauthorized)
            #expect(try await boss.delete("/api/v1/tokens/\(id)").status == .notFound)
            let actions = try await boss.auditActions()
            #expect(actions.contains("token.created") && actions.contains("token.revoked"))
        }
    }

    @Test func badTokenRequestsAreRefused() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            for body: [String: Any] in [
                ["name": "", "permissions": ["users.manage"]],
                ["name": "x", "permissions": []],
                ["name": "x", "permissions": ["everything"]],
                ["name": "x", "permissions": ["users.manage"], "expiresAt": "2001-01-01T00:00:00Z"],
                ["name": "x", "permissions": ["users.manage"], "expiresAt": "tomorrow"],
            ] {
                #expect(try await boss.post("/api/v1/tokens", body).problemCode == "validation-failed", "\(body)")
            }
            #expect((try await boss.get("/api/v1/tokens").json()["items"] as? [[String: Any]])?.isEmpty == true)
            // Garbage and forged bearer tokens open nothing.
            for bearer in ["kft_garbage", "kft_" + String(repeating: "A", count: 64), "Basic abc"] {
                #expect(try await APISession(client: client, token: bearer).get("/api/v1/me").status == .unauthorized)
            }
        }
    }

    @Test func anExpiredTokenAndATokenOfADisabledUserOpenNothing() async throws {
        try await TestApplication.runWithTenant { client, endpoint in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let soon = Date().addingTimeInterval(3600).formatted(.iso8601)
            let expiring = try #require(try await boss.post("/api/v1/tokens", ["name": "short", "permissions": ["users.manage"], "expiresAt": soon]).json()["token"] as? String)
            #expect(try await APISession(client: client, token: expiring).get("/api/v1/users").status == .ok)
            // Let the hour pass: move the expiry into the past as the database owner.
            try await endpoint.withConnection(logger: TestDatabase.logger) { connection in
                try await connection.query("UPDATE api_tokens SET expires_at = now() - interval '1 second'", logger: TestDatabase.logger)
            }
            #expect(try await APISession(client: client, token: expiring).get("/api/v1/users").status == .unauthorized)

            // A token never outlives its user's access.
            let agentRole = try await boss.builtinRole("admin")
            _ = try await boss.post("/api/v1/users", ["email": "ops@acme.example", "displayName": "Ops", "password": "saffron-lantern-77", "roleId": agentRole])
            let ops = try await APISession.signIn(client, email: "ops@acme.example", password: "saffron-lantern-77")
            let opsToken = try #require(try await ops.post("/api/v1/tokens", ["name": "ops", "permissions": ["users.manage"]]).json()["token"] as? String)
            #expect(try await APISession(client: client, token: opsToken).get("/api/v1/users").status == .ok)
            #expect(try await boss.patch("/api/v1/users/\(try await boss.userID("ops@acme.example"))", ["roleId": try await boss.builtinRole("agent")]).status == .ok)
            #expect(try await APISession(client: client, token: opsToken).get("/api/v1/users").status == .forbidden)
            #expect(try await boss.patch("/api/v1/users/\(try await boss.userID("ops@acme.example"))", ["status": "disabled"]).status == .ok)
            #expect(try await APISession(client: client, token: opsToken).get("/api/v1/me").status == .unauthorized)
        }
    }
}

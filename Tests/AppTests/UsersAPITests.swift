import Foundation
import HummingbirdTesting
import Testing
@testable import App

@Suite struct UsersAPITests {
    @Test func anOwnerCreatesPagesChangesAndDeletesUsersAndEveryChangeIsAudited() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let team = try await boss.post("/api/v1/teams", ["name": "Support"]).json()["id"] as? String
            let created = try await boss.post("/api/v1/users", [
                "email": "Carol@acme.example", "displayName": "Carol", "password": "saffron-lantern-77",
                "roleId": try await boss.builtinRole("agent"), "maxConcurrentChats": 8, "teamIds": [try #require(team)],
            ])
            #expect(created.status == .created)
            let carol = try created.json()
            let id = try #require(carol["id"] as? String)
            #expect(created.headers[.location] == "/api/v1/users/\(id.lowercased())")
            #expect(carol["maxConcurrentChats"] as? Int == 8)
            #expect(carol["teamIds"] as? [String] == [try #require(team)])
            #expect(carol["password"] == nil && carol["passwordHash"] == nil)

            // Three users in creation order, two per page.
            let first = try await boss.get("/api/v1/users?limit=2").json()
            #expect((first["items"] as? [[String: Any]])?.count == 2)
            let cursor = try #require(first["nextCursor"] as? String)
            let second = try await boss.get("/api/v1/users?limit=2&cursor=\(cursor)").json()
            #expect((second["items"] as? [[String: Any]])?.compactMap { $0["email"] as? String } == ["Carol@acme.example"])
            #expect(second["nextCursor"] == nil)
            #expect((try await boss.get("/api/v1/users?status=active&team=\(team!)").json()["items"] as? [[String: Any]])?.count == 1)

            let changed = try await boss.patch("/api/v1/users/\(id)", ["displayName": "Carol K.", "maxConcurrentChats": 3])
            #expect(changed.status == .ok)
            #expect(try changed.json()["displayName"] as? String == "Carol K.")
            _ = try await APISession.signIn(client, email: "carol@acme.example", password: "saffron-lantern-77")
            #expect(try await boss.delete("/api/v1/users/\(id)").status == .noContent)
            #expect(try await boss.get("/api/v1/users/\(id)").status == .notFound)
            #expect(try await APISession.login(client, email: "carol@acme.example", password: "saffron-lantern-77").status == .unauthorized)
            let actions = try await boss.auditActions()
            for action in ["team.created", "user.created", "user.updated", "user.deleted"] { #expect(actions.contains(action)) }
        }
    }

    @Test func badInputIsRefusedClearlyAndCreatesNothing() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let agentRole = try await boss.builtinRole("agent")
            let valid: [String: Any] = ["email": "dan@acme.example", "displayName": "Dan", "password": "saffron-lantern-77", "roleId": agentRole]
            func with(_ key: String, _ value: Any) -> [String: Any] { valid.merging([key: value]) { $1 } }
            let cases: [(body: [String: Any], status: Int, code: String)] = [
                (with("password", "short"), 422, "validation-failed"),
                (with("password", "password123"), 422, "validation-failed"),
                (with("password", "dan@acme.example"), 422, "validation-failed"),
                (with("email", "not-an-email"), 422, "validation-failed"),
                (with("email", "AGENT@acme.example"), 409, "conflict"),
                (with("displayName", ""), 422, "validation-failed"),
                (with("maxConcurrentChats", 500), 422, "validation-failed"),
                (with("maxConcurrentChats", "many"), 422, "validation-failed"),
                (with("roleId", UUID().uuidString), 404, "not-found"),
                (with("roleId", "nope"), 422, "validation-failed"),
                (with("teamIds", [UUID().uuidString]), 422, "validation-failed"),
                (with("isAdmin", true), 422, "validation-failed"),
            ]
            for (body, status, code) in cases {
                let response = try await boss.post("/api/v1/users", body)
                #expect(Int(response.status.code) == status, "\(body): \(response.text)")
                #expect(response.problemCode == code)
            }
            #expect(try await boss.send(.post, "/api/v1/users", raw: "{\"email\":").problemCode == "malformed-json")
            #expect(try await boss.send(.post, "/api/v1/users", raw: "x", contentType: "text/plain").status == .unsupportedMediaType)
            let huge = "{\"displayName\":\"" + String(repeating: "x", count: 2_000_000) + "\"}"
            #expect(try await boss.send(.post, "/api/v1/users", raw: huge).status == .contentTooLarge)
            #expect(try await boss.get("/api/v1/users?limit=0").problemCode == "validation-failed")
            #expect(try await boss.get("/api/v1/users?cursor=garbage").problemCode == "validation-failed")
            #expect(try await boss.get("/api/v1/users?status=gone").problemCode == "validation-failed")
            #expect(try await boss.get("/api/v1/users/not-a-uuid").status == .notFound)
            #expect(try await boss.patch("/api/v1/users/\(try await boss.userID("agent@acme.example"))", ["status": "sleeping"]).status == .unprocessableContent)
            let users = try await boss.get("/api/v1/users").json()["items"] as? [[String: Any]]
            #expect(users?.count == 2)
            // Only the owner's creation with the tenant is on record.
            #expect(try await boss.auditActions().filter { $0 == "user.created" }.count == 1)
        }
    }

    @Test func anotherTenantsIdsAre404NeverTheirData() async throws {
        try await TestApplication.runWithTenant { client in
            let acme = try await APISession.signIn(client, email: "boss@acme.example")
            let globex = try await APISession.signIn(client, email: "boss@globex.example", tenant: "globex")
            let theirUser = try await globex.userID("boss@globex.example")
            let theirRole = try await globex.builtinRole("owner")
            let theirTeam = try #require(try await globex.post("/api/v1/teams", ["name": "Globex team"]).json()["id"] as? String)
            for response in [
                try await acme.get("/api/v1/users/\(theirUser)"),
                try await acme.patch("/api/v1/users/\(theirUser)", ["status": "disabled"]),
                try await acme.delete("/api/v1/users/\(theirUser)"),
                try await acme.get("/api/v1/roles/\(theirRole)"),
                try await acme.delete("/api/v1/roles/\(theirRole)"),
                try await acme.get("/api/v1/teams/\(theirTeam)"),
                try await acme.patch("/api/v1/teams/\(theirTeam)", ["name": "Taken over"]),
                try await acme.patch("/api/v1/users/\(try await acme.userID("agent@acme.example"))", ["roleId": theirRole]),
            ] {
                #expect(response.status == .notFound, "\(response.text)")
            }
            // Their user as a member of our team is an invalid id, not a link across tenants.
            #expect(try await acme.post("/api/v1/teams", ["name": "Mixed", "memberIds": [theirUser]]).status == .unprocessableContent)
            let still = try await globex.get("/api/v1/users/\(theirUser)").json()
            #expect(still["status"] as? String == "active")
            #expect(try await globex.get("/api/v1/teams/\(theirTeam)").json()["name"] as? String == "Globex team")
        }
    }

    @Test func withoutThePermissionAdminRoutesAre403() async throws {
        try await TestApplication.runWithTenant { client in
            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            for path in ["/api/v1/users", "/api/v1/roles", "/api/v1/teams", "/api/v1/tokens", "/api/v1/settings/security"] {
                let response = try await agent.get(path)
                #expect(response.status == .forbidden)
                #expect(response.problemCode == "forbidden")
            }
            #expect(try await agent.post("/api/v1/users", ["email": "x@acme.example"]).status == .forbidden)
        }
    }

    @Test func nobodyGrantsAPermissionTheyLackAndOnlyOwnersMakeOwners() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let limited = try #require(try await boss.post("/api/v1/roles", [
                "name": "User manager", "permissions": ["users.manage", "roles.manage", "tokens.manage", "conversations.read", "conversations.reply"],
            ]).json()["id"] as? String)
            _ = try await boss.post("/api/v1/users", [
                "email": "hr@acme.example", "displayName": "HR", "password": "saffron-lantern-77", "roleId": limited,
            ])
            let hr = try await APISession.signIn(client, email: "hr@acme.example", password: "saffron-lantern-77")
            let agentID = try await hr.userID("agent@acme.example")
            let refused = [
                try await hr.post("/api/v1/roles", ["name": "Sneaky", "permissions": ["settings.manage"]]),
                try await hr.patch("/api/v1/roles/\(limited)", ["permissions": ["users.manage", "audit.read"]]),
                try await hr.patch("/api/v1/users/\(agentID)", ["roleId": try await boss.builtinRole("admin")]),
                try await hr.post("/api/v1/tokens", ["name": "t", "permissions": ["audit.read"]]),
            ]
            for response in refused {
                #expect(response.status == .forbidden, "\(response.text)")
                #expect(response.problemCode == "permission-escalation")
            }
            // What they do hold, they may hand out.
            #expect(try await hr.patch("/api/v1/users/\(agentID)", ["roleId": limited]).status == .ok)
            let bossID = try await hr.userID("boss@acme.example")
            #expect(try await hr.patch("/api/v1/users/\(bossID)", ["status": "disabled"]).problemCode == "owner-required")

            // An admin holds every permission but is still not an owner.
            _ = try await boss.post("/api/v1/users", [
                "email": "admin@acme.example", "displayName": "Admin", "password": "saffron-lantern-77", "roleId": try await boss.builtinRole("admin"),
            ])
            let admin = try await APISession.signIn(client, email: "admin@acme.example", password: "saffron-lantern-77")
            let ownerRole = try await boss.builtinRole("owner")
            #expect(try await admin.patch("/api/v1/users/\(agentID)", ["roleId": ownerRole]).problemCode == "owner-required")
            #expect(try await admin.delete("/api/v1/users/\(bossID)").problemCode == "owner-required")
            #expect(try await boss.patch("/api/v1/users/\(agentID)", ["roleId": ownerRole]).status == .ok)
        }
    }

    @Test func theLastActiveOwnerCannotBeRemovedDisabledOrDemoted() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let bossID = try await boss.userID("boss@acme.example")
            for response in [
                try await boss.patch("/api/v1/users/\(bossID)", ["status": "disabled"]),
                try await boss.patch("/api/v1/users/\(bossID)", ["roleId": try await boss.builtinRole("admin")]),
                try await boss.delete("/api/v1/users/\(bossID)"),
            ] {
                #expect(response.status == .conflict)
                #expect(response.problemCode == "last-owner")
            }
            // With a second owner, one may step down.
            let agentID = try await boss.userID("agent@acme.example")
            #expect(try await boss.patch("/api/v1/users/\(agentID)", ["roleId": try await boss.builtinRole("owner")]).status == .ok)
            #expect(try await boss.patch("/api/v1/users/\(bossID)", ["roleId": try await boss.builtinRole("admin")]).status == .ok)
        }
    }

    @Test func twoOwnersDemotingEachOtherAtOnceLeaveOneOwner() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let ownerRole = try await boss.builtinRole("owner")
            let adminRole = try await boss.builtinRole("admin")
            let bossID = try await boss.userID("boss@acme.example")
            let agentID = try await boss.userID("agent@acme.example")
            for round in 0..<5 {
                #expect(try await boss.patch("/api/v1/users/\(agentID)", ["roleId": ownerRole]).status == .ok, "round \(round)")
                let other = try await APISession.signIn(client, email: "agent@acme.example")
                async let first = boss.patch("/api/v1/users/\(agentID)", ["roleId": adminRole])
                async let second = other.patch("/api/v1/users/\(bossID)", ["roleId": adminRole])
                let statuses = [try await first.status, try await second.status]
                #expect(statuses.filter { $0 == .ok }.count == 1, "round \(round): \(statuses)")
                // The loser hears last-owner (409), or owner-required (403) when the winner's change
                // committed before the loser's request was authorised.
                #expect(statuses.filter { $0 == .conflict || $0 == .forbidden }.count == 1, "round \(round): \(statuses)")
                // Whoever is left an owner restores the starting point.
                if statuses[1] == .ok {
                    #expect(try await other.patch("/api/v1/users/\(bossID)", ["roleId": ownerRole]).status == .ok)
                    #expect(try await boss.patch("/api/v1/users/\(agentID)", ["roleId": adminRole]).status == .ok)
                }
            }
        }
    }

    @Test func disablingAUserOrResettingTheirPasswordEndsTheirSessions() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let agentID = try await boss.userID("agent@acme.example")
            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            #expect(try await boss.patch("/api/v1/users/\(agentID)", ["password": "new-saffron-lantern-9"]).status == .ok)
            #expect(try await agent.get("/api/v1/me").status == .unauthorized)
            let again = try await APISession.signIn(client, email: "agent@acme.example", password: "new-saffron-lantern-9")
            #expect(try await boss.patch("/api/v1/users/\(agentID)", ["status": "disabled"]).status == .ok)
            #expect(try await again.get("/api/v1/me").status == .unauthorized)
            let refused = try await APISession.login(client, email: "agent@acme.example", password: "new-saffron-lantern-9")
            #expect(refused.problemCode == "account-disabled")
        }
    }
}

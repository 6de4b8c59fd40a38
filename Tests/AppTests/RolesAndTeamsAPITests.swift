import Foundation
import HummingbirdTesting
import Testing
@testable import App

@Suite struct RolesAndTeamsAPITests {
    @Test func customRolesAreManagedAndBuiltInOnesAreFixed() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let builtins = try await boss.get("/api/v1/roles").json()["items"] as? [[String: Any]] ?? []
            #expect(Set(builtins.compactMap { $0["builtin"] as? String }) == ["owner", "admin", "supervisor", "agent"])

            let created = try await boss.post("/api/v1/roles", ["name": "Night shift", "description": "Weekend cover", "permissions": ["conversations.read", "conversations.reply"]])
            #expect(created.status == .created)
            let id = try #require(try created.json()["id"] as? String)
            let renamed = try await boss.patch("/api/v1/roles/\(id)", ["name": "Night crew", "permissions": ["conversations.read"]])
            #expect(try renamed.json()["permissions"] as? [String] == ["conversations.read"])
            #expect(try await boss.post("/api/v1/roles", ["name": "Night crew", "permissions": []]).problemCode == "conflict")
            #expect(try await boss.post("/api/v1/roles", ["name": "Bad", "permissions": ["root.everything"]]).problemCode == "validation-failed")
            #expect(try await boss.post("/api/v1/roles", ["name": "", "permissions": []]).problemCode == "validation-failed")

            let ownerRole = try await boss.builtinRole("owner")
            #expect(try await boss.patch("/api/v1/roles/\(ownerRole)", ["name": "King"]).problemCode == "builtin-role")
            #expect(try await boss.delete("/api/v1/roles/\(ownerRole)").problemCode == "builtin-role")

            // A role somebody holds cannot go.
            let agentID = try await boss.userID("agent@acme.example")
            #expect(try await boss.patch("/api/v1/users/\(agentID)", ["roleId": id]).status == .ok)
            #expect(try await boss.delete("/api/v1/roles/\(id)").problemCode == "role-in-use")
            // The agent's permissions follow the role at once.
            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            #expect(try await agent.get("/api/v1/me").json()["permissions"] as? [String] == ["conversations.read"])
            #expect(try await boss.patch("/api/v1/users/\(agentID)", ["roleId": try await boss.builtinRole("agent")]).status == .ok)
            #expect(try await boss.delete("/api/v1/roles/\(id)").status == .noContent)
            let actions = try await boss.auditActions()
            for action in ["role.created", "role.updated", "role.deleted"] { #expect(actions.contains(action)) }
        }
    }

    @Test func teamsHoldMembersSeenFromBothSides() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let agentID = try await boss.userID("agent@acme.example")
            let bossID = try await boss.userID("boss@acme.example")
            let created = try await boss.post("/api/v1/teams", ["name": "Sales", "memberIds": [agentID]])
            #expect(created.status == .created)
            let team = try #require(try created.json()["id"] as? String)
            #expect(try await boss.get("/api/v1/users/\(agentID)").json()["teamIds"] as? [String] == [team])
            let changed = try await boss.patch("/api/v1/teams/\(team)", ["memberIds": [bossID]])
            #expect(try changed.json()["memberIds"] as? [String] == [bossID])
            #expect(try await boss.get("/api/v1/users/\(agentID)").json()["teamIds"] as? [String] == [])
            #expect(try await boss.post("/api/v1/teams", ["name": "Sales"]).problemCode == "conflict")
            #expect(try await boss.patch("/api/v1/teams/\(team)", ["memberIds": [UUID().uuidString]]).problemCode == "validation-failed")
            #expect(try await boss.patch("/api/v1/teams/\(team)", ["memberIds": ["x"]]).problemCode == "validation-failed")
            for index in 0..<3 { _ = try await boss.post("/api/v1/teams", ["name": "Team \(index)"]) }
            var names: [String] = []
            var cursor: String?
            repeat {
                let page = try await boss.get("/api/v1/teams?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")).json()
                names += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            #expect(names == ["Sales", "Team 0", "Team 1", "Team 2"])
            #expect(try await boss.delete("/api/v1/teams/\(team)").status == .noContent)
            #expect(try await boss.get("/api/v1/users/\(bossID)").json()["teamIds"] as? [String] == [])
            let actions = try await boss.auditActions()
            for action in ["team.created", "team.updated", "team.deleted"] { #expect(actions.contains(action)) }
        }
    }
}

import Foundation
import HummingbirdTesting
import Testing
@testable import App

/// `/api/v1/canned-replies`: edited with canned.manage (audited), read by whoever replies — the
/// tenant's replies and their own teams' — with shortcuts unique per team and variables checked.
@Suite struct CannedRepliesAPITests {
    @Test func repliesAreManagedCheckedAndSeenByTeam() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let created = try await boss.post("/api/v1/canned-replies", ["shortcut": "hi", "body": "您好 {{visitor.name}}，我是{{agent.name}}。"])
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(try created.json()["id"] as? String)
            #expect(try await boss.post("/api/v1/canned-replies", ["shortcut": "HI", "body": "again"]).status == .conflict, "unique, any case")
            let team = try await boss.post("/api/v1/teams", ["name": "Billing"])
            let teamID = try #require(try team.json()["id"] as? String)
            #expect(try await boss.post("/api/v1/canned-replies", ["shortcut": "hi", "body": "Billing hello", "teamId": teamID]).status == .created,
                    "the same shortcut in a team")
            let unknown = try await boss.post("/api/v1/canned-replies", ["shortcut": "x", "body": "{{visitor.password}}"])
            #expect(unknown.status == .unprocessableContent && unknown.text.contains("visitor.password"))
            #expect(try await boss.post("/api/v1/canned-replies", ["shortcut": "two words", "body": "x"]).status == .unprocessableContent)

            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            let seen = try #require(try await agent.get("/api/v1/canned-replies").json()["items"] as? [[String: Any]])
            #expect(seen.compactMap { $0["body"] as? String } == ["您好 {{visitor.name}}，我是{{agent.name}}。"], "not another team's")
            #expect(try await agent.post("/api/v1/canned-replies", ["shortcut": "y", "body": "z"]).status == .forbidden)
            let all = try #require(try await boss.get("/api/v1/canned-replies?q=billing").json()["items"] as? [[String: Any]])
            #expect(all.count == 1)

            #expect(try await boss.patch("/api/v1/canned-replies/\(id)", ["body": "Hello {{visitor.name}}"]).status == .ok)
            #expect(try await boss.delete("/api/v1/canned-replies/\(id)").status == .noContent)
            let actions = try await boss.auditActions()
            for action in ["canned_reply.created", "canned_reply.updated", "canned_reply.deleted"] { #expect(actions.contains(action)) }
        }
    }
}

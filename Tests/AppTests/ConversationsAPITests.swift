import Foundation
import Testing
import TestSupport

/// `/api/v1/conversations`, `/api/v1/visitors` and `/api/v1/settings/conversations` against a
/// live server with real conversations.
@Suite(.serialized) struct ConversationsAPITests {
    @Test func theInboxFiltersPagesSearchesRepliesAssignsResolvesAndReopens() async throws {
        try await RealtimeHarness.with { harness in
            let owner = try await harness.token(email: "boss@acme.example")
            let (visitor, welcome) = try await harness.visitorHello(["profile": ["name": "王芳", "email": "wang@example.com"] as [String: any Sendable]])
            let visitorID = try #require(welcome["visitorId"] as? String)
            try await visitor.send(["type": "send", "clientId": "r1", "text": "我的订单在哪里？"])
            let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String).lowercased()
            let (other, _) = try await harness.visitorHello()
            try await other.send(["type": "send", "clientId": "r2", "text": "refund please"])
            _ = try await other.next("ack")

            // Nobody is online: both wait, unassigned.
            let queued = try await harness.request(.get, "/api/v1/conversations?status=queued&assigneeId=none", token: owner)
            #expect(queued.status == .ok)
            #expect((queued.json["items"] as? [Any])?.count == 2)
            let firstPage = try await harness.request(.get, "/api/v1/conversations?limit=1", token: owner)
            let cursor = try #require(firstPage.json["nextCursor"] as? String)
            let secondPage = try await harness.request(.get, "/api/v1/conversations?limit=1&cursor=\(cursor)", token: owner)
            #expect((secondPage.json["items"] as? [Any])?.count == 1)
            #expect(secondPage.json["nextCursor"] == nil)
            let search = try await harness.request(.get, "/api/v1/conversations?q=%E8%AE%A2%E5%8D%95", token: owner)  // 订单
            #expect(((search.json["items"] as? [[String: Any]])?.map { ($0["id"] as? String)?.lowercased() }) == [conversationID])
            let byName = try await harness.request(.get, "/api/v1/conversations?q=wang%40example", token: owner)
            #expect((byName.json["items"] as? [Any])?.count == 1)
            let bad = try await harness.request(.get, "/api/v1/conversations?status=lost&teamId=nope", token: owner)
            #expect(bad.status.code == 422)
            #expect((bad.json["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String }.sorted() == ["status", "teamId"])

            // Assign to agent2, who replies over REST; a retry is stored once.
            let agent2 = try await harness.sql("SELECT id::text FROM users WHERE email = 'agent2@acme.example'")[0][0] ?? ""
            let assigned = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/assign", ["agentId": agent2], token: owner)
            #expect(assigned.status == .ok)
            #expect((assigned.json["assigneeId"] as? String)?.lowercased() == agent2)
            let agentToken = try await harness.token(email: "agent2@acme.example")
            let reply = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/messages",
                                                  ["clientId": "rest-1", "text": "在路上了"], token: agentToken)
            #expect(reply.status == .created)
            let retry = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/messages",
                                                  ["clientId": "rest-1", "text": "在路上了"], token: agentToken)
            #expect(retry.status == .ok)
            #expect(retry.json["seq"] as? Int == reply.json["seq"] as? Int)
            #expect(try await visitor.nextMessage(from: "agent")["text"] as? String == "在路上了")
            // agent@ is not the assignee and cannot reply (but could add a note).
            let outsider = try await harness.token(email: "agent@acme.example")
            let refused = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/messages",
                                                    ["clientId": "x", "text": "hi"], token: outsider)
            #expect(refused.status.code == 403)

            let history = try await harness.request(.get, "/api/v1/conversations/\(conversationID)/messages?after=0&limit=200", token: owner)
            let kinds = (history.json["items"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
            #expect(kinds == ["text", "event", "text"])
            let latest = try await harness.request(.get, "/api/v1/conversations/\(conversationID)/messages?limit=1", token: owner)
            #expect(((latest.json["items"] as? [[String: Any]])?.first?["text"] as? String) == "在路上了")

            let resolved = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/resolve", token: agentToken)
            #expect(resolved.json["status"] as? String == "resolved")
            let again = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/resolve", token: outsider)
            #expect(again.status.code == 403)
            let reopened = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/reopen", token: owner)
            #expect(reopened.json["status"] as? String == "queued")

            // Visitors: listed and searchable; profiles readable.
            let visitors = try await harness.request(.get, "/api/v1/visitors?q=%E7%8E%8B", token: owner)  // 王
            #expect((visitors.json["items"] as? [[String: Any]])?.first?["name"] as? String == "王芳")
            let profile = try await harness.request(.get, "/api/v1/visitors/\(visitorID)", token: owner)
            #expect(profile.json["email"] as? String == "wang@example.com")
            #expect(profile.json["token"] == nil)

            // Another tenant sees none of it.
            let globex = try await harness.token(tenant: "globex", email: "boss@globex.example")
            #expect(try await harness.request(.get, "/api/v1/conversations/\(conversationID)", token: globex).status.code == 404)
            #expect(try await harness.request(.get, "/api/v1/conversations/\(conversationID)/messages", token: globex).status.code == 404)
            #expect(try await harness.request(.post, "/api/v1/conversations/\(conversationID)/resolve", token: globex).status.code == 404)
            #expect(try await harness.request(.get, "/api/v1/visitors/\(visitorID)", token: globex).status.code == 404)
            #expect((try await harness.request(.get, "/api/v1/conversations", token: globex).json["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func conversationSettingsChangeTheMessageLimitAndAreAudited() async throws {
        try await RealtimeHarness.with { harness in
            let owner = try await harness.token(email: "boss@acme.example")
            let current = try await harness.request(.get, "/api/v1/settings/conversations", token: owner)
            #expect(current.json["maxMessageBytes"] as? Int == 4096)
            #expect(current.json["assignmentMode"] as? String == "least_busy")
            let invalid = try await harness.request(.patch, "/api/v1/settings/conversations", ["maxMessageBytes": 10], token: owner)
            #expect(invalid.status.code == 422)
            let changed = try await harness.request(.patch, "/api/v1/settings/conversations",
                                                    ["maxMessageBytes": 100, "assignmentMode": "round_robin"], token: owner)
            #expect(changed.json["maxMessageBytes"] as? Int == 100)
            let agent = try await harness.token(email: "agent@acme.example")
            #expect(try await harness.request(.get, "/api/v1/settings/conversations", token: agent).status.code == 403)

            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "long", "text": String(repeating: "长", count: 40)])  // 120 bytes
            #expect(try await visitor.next("error")["code"] as? String == "too-large")
            let audit = try await harness.sql("SELECT action FROM audit_log WHERE target_id = 'conversations'", tenant: "acme")
            #expect(audit == [["settings.updated"]])
        }
    }
}

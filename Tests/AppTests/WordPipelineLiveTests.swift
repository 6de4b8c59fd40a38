import Foundation
import HTTPTypes
import Testing
import TestSupport

/// Sensitive-word rules in the message path, end to end: `block` refuses (the sender hears the
/// category; nothing is stored, a blocked first message makes no visitor or conversation),
/// `mask` stores and delivers the masked text only, `flag` stores as written and queues a review;
/// rules of another tenant never apply, and changes reach every node within a second.
@Suite(.serialized) struct WordPipelineLiveTests {
    @Test func blockMaskAndFlagActOnVisitorMessagesBeforeAnythingIsStored() async throws {
        try await RealtimeHarness.with { harness in
            let boss = try await harness.token(email: "boss@acme.example")
            for rule: [String: Any] in [
                ["pattern": "加微信", "action": "block", "category": "contact", "senders": ["visitor"]],
                ["pattern": "傻瓜", "action": "mask"],
                ["pattern": "退款", "action": "flag", "category": "refund"],
            ] {
                let created = try await harness.request(.post, "/api/v1/words", rule, token: boss)
                #expect(created.status == .created, "\(created.text)")
            }
            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            let (visitor, _) = try await harness.visitorHello()

            try await visitor.send(["type": "send", "clientId": "v-1", "text": "加 微 信 吧", "ref": "blocked"])
            let refused = try await visitor.next("error")
            #expect(refused["code"] as? String == "content-blocked" && refused["category"] as? String == "contact")
            #expect(refused["ref"] as? String == "blocked")
            #expect((refused["message"] as? String)?.contains("加微信") == false, "the rule is never named")
            let nothing = try await harness.sql("""
                SELECT (SELECT count(*) FROM conversations)::text, (SELECT count(*) FROM visitors)::text, (SELECT count(*) FROM messages)::text
                """)
            #expect(nothing == [["0", "0", "0"]], "a blocked first message leaves no visitor, conversation or message")

            try await visitor.send(["type": "send", "clientId": "v-2", "text": "你这个傻*瓜", "ref": "masked"])
            let ack = try await visitor.next("ack")
            let conversationID = try #require(ack["conversationId"] as? String)
            let delivered = try await agent.nextMessage(from: "visitor")
            #expect(delivered["text"] as? String == "你这个***")
            try await visitor.send(["type": "send", "clientId": "v-3", "text": "我要退款！", "ref": "flagged"])
            let flaggedAck = try await visitor.next("ack")
            #expect(try await agent.nextMessage(from: "visitor")["text"] as? String == "我要退款！")
            let stored = try await harness.sql("SELECT body FROM messages WHERE conversation_id = '\(conversationID)' AND kind = 'text' ORDER BY seq")
            #expect(stored == [["你这个***"], ["我要退款！"]], "the original of a masked message is never stored")

            let queue = try await harness.request(.get, "/api/v1/words/flags", token: boss)
            let items = try #require(queue.json["items"] as? [[String: Any]], "\(queue.text)")
            #expect(items.count == 1)
            let flag = try #require(items.first)
            #expect(flag["text"] as? String == "我要退款！" && flag["categories"] as? [String] == ["refund"])
            #expect(flag["seq"] as? Int == flaggedAck["seq"] as? Int && flag["senderType"] as? String == "visitor")
            #expect(flag["status"] as? String == "open")
            let flagID = try #require(flag["id"] as? String)

            let review = try await harness.request(.post, "/api/v1/words/flags/\(flagID)/review", ["outcome": "dismissed", "note": "a real request"], token: boss)
            #expect(review.status == .ok && review.json["status"] as? String == "dismissed" && review.json["note"] as? String == "a real request")
            let again = try await harness.request(.post, "/api/v1/words/flags/\(flagID)/review", ["outcome": "confirmed"], token: boss)
            #expect(again.status == .conflict)
            let bad = try await harness.request(.post, "/api/v1/words/flags/\(flagID)/review", ["outcome": "open"], token: boss)
            #expect(bad.status.code == 422)
            #expect((try await harness.request(.get, "/api/v1/words/flags", token: boss).json["items"] as? [Any])?.isEmpty == true)
            let reviewed = try await harness.request(.get, "/api/v1/words/flags?status=dismissed&category=refund&sender=visitor", token: boss)
            #expect((reviewed.json["items"] as? [Any])?.count == 1)
            #expect(try await harness.request(.get, "/api/v1/words/flags?status=maybe", token: boss).status.code == 422)
            let audit = try await harness.sql("SELECT count(*)::text FROM audit_log WHERE action = 'word_flag.reviewed'")
            #expect(audit == [["1"]])

            // A flag rule beside a mask rule: stored masked, and queued for review.
            try await visitor.send(["type": "send", "clientId": "v-4", "text": "傻瓜才退款", "ref": "both"])
            _ = try await visitor.next("ack")
            let both = try await harness.request(.get, "/api/v1/words/flags", token: boss)
            #expect((both.json["items"] as? [[String: Any]])?.first?["text"] as? String == "**才退款", "\(both.text)")

            let metrics = try await harness.request(.get, "/metrics", token: nil).text
            #expect(metrics.contains(#"kefu_words_messages_total{action="block",sender="visitor"} 1"#), "\(metrics.split(separator: "\n").filter { $0.contains("words") })")
            #expect(metrics.contains(#"kefu_words_messages_total{action="mask",sender="visitor"} 2"#))
            await visitor.close()
            await agent.close()
        }
    }

    @Test func agentsAreHeldToTheRulesOnTheSocketAndOverREST() async throws {
        try await RealtimeHarness.with { harness in
            let boss = try await harness.token(email: "boss@acme.example")
            _ = try await harness.request(.post, "/api/v1/words", ["pattern": "内部价", "action": "block", "category": "pricing", "senders": ["agent"]], token: boss)
            let agentToken = try await harness.token(email: "agent@acme.example")
            let (agent, _) = try await harness.agent(token: agentToken)
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "v-1", "text": "内部价多少？"])
            let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String)
            _ = try await agent.next("conversation")

            // Stored before a rule blocks it, its ack lost: the resend is a duplicate, not "not sent".
            try await agent.send(["type": "send", "conversationId": conversationID, "clientId": "a-0", "text": "价目表请看附件", "ref": "first"])
            let first = try await agent.next("ack")
            _ = try await harness.request(.post, "/api/v1/words", ["pattern": "价目表", "action": "block", "senders": ["agent"]], token: boss)
            try await agent.send(["type": "send", "conversationId": conversationID, "clientId": "a-0", "text": "价目表请看附件", "ref": "again"])
            let again = try await agent.next("ack")
            #expect(again["duplicate"] as? Bool == true && again["seq"] as? Int == first["seq"] as? Int)
            let restAgain = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/messages",
                                                      ["text": "价目表请看附件", "clientId": "a-0"], token: agentToken)
            #expect(restAgain.status == .ok, "a REST resend is the stored message: \(restAgain.text)")

            try await agent.send(["type": "send", "conversationId": conversationID, "clientId": "a-1", "text": "内 部 價是 10 元", "ref": "x"])
            let refused = try await agent.next("error")
            #expect(refused["code"] as? String == "content-blocked" && refused["category"] as? String == "pricing")
            let rest = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/messages",
                                                 ["text": "内部价 10 元", "clientId": "a-2"], token: agentToken)
            #expect(rest.status.code == 422 && rest.json["code"] as? String == "content-blocked" && rest.json["category"] as? String == "pricing", "\(rest.text)")
            let agentMessages = try await harness.sql("SELECT count(*)::text FROM messages WHERE sender_type = 'agent'")
            #expect(agentMessages == [["1"]], "only the message stored before the rule")
            await visitor.close()
            await agent.close()
        }
    }

    @Test func anotherTenantsRulesNeverApply() async throws {
        try await RealtimeHarness.with { harness in
            let globex = try await harness.token(tenant: "globex", email: "boss@globex.example")
            let created = try await harness.request(.post, "/api/v1/words", ["pattern": "你好", "action": "block"], token: globex)
            #expect(created.status == .created)
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "v-1", "text": "你好"])
            #expect(try await visitor.next("ack")["duplicate"] as? Bool == false)
            await visitor.close()
        }
    }

    @Test func ruleChangesReachEveryNodeWithinASecond() async throws {
        try await RealtimeHarness.with(nodes: 2) { harness in
            let boss = try await harness.token(email: "boss@acme.example")
            let (visitor, _) = try await harness.visitorHello(node: 1)
            try await visitor.send(["type": "send", "clientId": "warm", "text": "在吗"])
            _ = try await visitor.next("ack")

            // Made on node 0 through the API: node 1 hears of it by NOTIFY.
            let created = try await harness.request(.post, "/api/v1/words", ["pattern": "代开发票", "action": "block", "category": "fraud"], token: boss, node: 0)
            #expect(created.status == .created)
            #expect(try await Self.refusedWithin(.seconds(1), visitor: visitor, text: "代 开 发 票"), "node 1 applies a rule made on node 0")

            // Made by hand in SQL (no node named): both nodes act on it.
            _ = try await harness.sql("UPDATE word_rules SET enabled = false")
            #expect(try await Self.acceptedWithin(.seconds(1), visitor: visitor, text: "代开发票"), "node 1 drops a rule disabled in SQL")
            let (visitor0, _) = try await harness.visitorHello(node: 0)
            try await visitor0.send(["type": "send", "clientId": "n0", "text": "代开发票"])
            #expect(try await visitor0.next("ack")["duplicate"] as? Bool == false, "node 0 drops it too")
            await visitor.close()
            await visitor0.close()
        }
    }

    /// Sends `text` until it is refused with `content-blocked`; whether that happened within `limit`.
    static func refusedWithin(_ limit: Duration, visitor: WebSocketTestClient, text: String) async throws -> Bool {
        try await answeredWithin(limit, visitor: visitor, text: text) { $0["type"] as? String == "error" && $0["code"] as? String == "content-blocked" }
    }

    /// Sends `text` until it is acknowledged; whether that happened within `limit`.
    static func acceptedWithin(_ limit: Duration, visitor: WebSocketTestClient, text: String) async throws -> Bool {
        try await answeredWithin(limit, visitor: visitor, text: text) { $0["type"] as? String == "ack" }
    }

    /// Sends `text` (a fresh client id each time) until its answer, an `ack` or an `error` with
    /// the send's `ref`, satisfies `wanted`.
    static func answeredWithin(_ limit: Duration, visitor: WebSocketTestClient, text: String,
                               _ wanted: (JSONFrame) -> Bool) async throws -> Bool {
        let start = ContinuousClock.now
        var attempt = 0
        while ContinuousClock.now - start < limit {
            attempt += 1
            let ref = "try-\(UUID())"
            try await visitor.send(["type": "send", "clientId": ref, "text": text, "ref": ref])
            while true {
                let frame = try #require(try await visitor.next())
                guard frame["ref"] as? String == ref else { continue }
                if wanted(frame) { return true }
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

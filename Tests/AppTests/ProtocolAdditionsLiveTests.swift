import Crypto
import Foundation
import Testing
import TestSupport

/// What the web chat needs from the protocol, over live sockets: a visitor's `profile` after the
/// `hello`, a new conversation on request, an agent choosing to be offline while connected, and
/// one `resume` for many conversations after a reconnect.
@Suite(.serialized) struct ProtocolAdditionsLiveTests {
    static func hash(_ userID: String, _ harness: RealtimeHarness) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(userID.utf8), using: SymmetricKey(data: Data(harness.acmeWidgetSecret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    @Test func aProfileFromAnAnonymousVisitorWritesTheirRowAndHandsThemATokenFirst() async throws {
        try await RealtimeHarness.with { harness in
            let (visitor, welcome) = try await harness.visitorHello()
            #expect(welcome["token"] == nil)
            try await visitor.send(["type": "profile", "ref": "p1",
                                    "profile": ["name": "Li Lei", "email": "li@example.com", "attributes": ["plan": "pro"]] as [String: any Sendable]])
            let issued = try await visitor.next()
            #expect(issued?["type"] as? String == "visitor", "the token comes before the ok")
            #expect(issued?["visitorId"] as? String == welcome["visitorId"] as? String)
            #expect((issued?["token"] as? String)?.hasPrefix("kfv_") == true)
            #expect(try await visitor.next("ok")["ref"] as? String == "p1")
            #expect(try await harness.sql("SELECT name, email, attributes->>'plan' FROM visitors") == [["Li Lei", "li@example.com", "pro"]])

            // A later profile changes the fields it names and keeps the others; no new token.
            try await visitor.send(["type": "profile", "ref": "p2", "profile": ["phone": "+86 10 1234"] as [String: any Sendable]])
            let answer = try await visitor.next()
            #expect(answer?["type"] as? String == "ok")
            #expect(try await harness.sql("SELECT name, phone FROM visitors") == [["Li Lei", "+86 10 1234"]])

            try await visitor.send(["type": "profile", "ref": "p3", "profile": ["name": String(repeating: "x", count: 201)] as [String: any Sendable]])
            let tooLong = try await visitor.next("error")
            #expect(tooLong["code"] as? String == "too-large")
            #expect(tooLong["ref"] as? String == "p3")
            #expect(try await harness.sql("SELECT name FROM visitors") == [["Li Lei"]], "a refused profile changes nothing")
        }
    }

    @Test func theAgentWelcomeListsTheMostRecentlyActiveOwnConversationsAndFollowsThemAll() async throws {
        try await RealtimeHarness.with { harness in
            // 250 open conversations of the agent, the oldest activity first (#1 the least recent).
            _ = try await harness.sql("""
                WITH ids AS (
                  SELECT t.id AS tenant, u.id AS agent, w.id AS widget FROM tenants t
                  JOIN users u ON u.tenant_id = t.id AND u.email = 'agent@acme.example'
                  JOIN widgets w ON w.tenant_id = t.id WHERE t.slug = 'acme' LIMIT 1),
                seeded AS (
                  SELECT g, gen_random_uuid() AS visitor, gen_random_uuid() AS conversation,
                         now() - interval '5 hours' + g * interval '10 seconds' AS at
                  FROM generate_series(1, 250) g),
                visitors AS (
                  INSERT INTO visitors (tenant_id, id, widget_id, token_hash, name, created_at, last_seen_at)
                  SELECT tenant, visitor, widget, sha256(visitor::text::bytea), 'Visitor ' || g, at, at FROM ids, seeded RETURNING 1)
                INSERT INTO conversations (tenant_id, id, widget_id, visitor_id, assignee_id, status, assigned_at, last_activity_at, created_at, updated_at)
                SELECT tenant, conversation, widget, visitor, agent, 'open', at, at, at, at FROM ids, seeded
                RETURNING 1
                """)
            let oldest = try #require(try await harness.sql("""
                SELECT id::text FROM conversations WHERE status = 'open' ORDER BY last_activity_at LIMIT 1
                """).first?.first ?? nil)
            let token = try await harness.token(email: "agent@acme.example")
            let (agent, welcome) = try await harness.agent(token: token)
            let listed = welcome["conversations"] as? [[String: Any]] ?? []
            #expect(listed.count == 200 && welcome["conversationsTotal"] as? Int == 250, "\(listed.count) listed")
            #expect(!listed.contains { ($0["id"] as? String)?.lowercased() == oldest.lowercased() }, "the least recently active is not listed")
            // …but followed: a reply there reaches this socket.
            let sent = try await harness.request(.post, "/api/v1/conversations/\(oldest)/messages", ["text": "Still there?", "clientId": "r1"], token: token)
            #expect(sent.status == .created || sent.status == .ok, "\(sent.text)")
            let message = try await agent.nextMessage(from: "agent")
            #expect((message["conversationId"] as? String)?.lowercased() == oldest.lowercased() && message["text"] as? String == "Still there?")
            await agent.close()
        }
    }

    @Test func aProfileMidChatSendsTheConversationAgainToItsAgents() async throws {
        try await RealtimeHarness.with { harness in
            let boss = try await harness.token(email: "boss@acme.example")
            let (agent, _) = try await harness.agent(token: boss)
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "c1", "text": "where is my parcel?"])
            let ack = try await visitor.next("ack")
            _ = try await agent.nextMessage(from: "visitor")
            // The frames of the conversation's start (created, assigned) go by first.
            while (try? await agent.next(timeout: .milliseconds(700))) != nil {}

            try await visitor.send(["type": "profile", "ref": "p1", "profile": ["name": "Wang Fang"] as [String: any Sendable]])
            _ = try await visitor.next("ok")
            let again = try await agent.next("conversation", timeout: .seconds(10))
            let id = (again["conversation"] as? [String: Any])?["id"] as? String
            #expect(id?.lowercased() == (ack["conversationId"] as? String)?.lowercased(), "\(again)")
            await visitor.close()
            await agent.close()
        }
    }

    @Test func aVerifiedIdentityInAProfileMovesTheSocketToThatUsersVisitorAndTheirConversation() async throws {
        try await RealtimeHarness.with { harness in
            let hash = Self.hash("user-7", harness)
            let (earlier, earlierWelcome) = try await harness.visitorHello(["identity": ["userId": "user-7", "hash": hash] as [String: any Sendable]])
            try await earlier.send(["type": "send", "clientId": "e1", "text": "my order is late"])
            let ack = try await earlier.next("ack")
            await earlier.close()

            // The same user on another device, anonymous until the site identifies them.
            let (visitor, welcome) = try await harness.visitorHello()
            #expect(welcome["visitorId"] as? String != earlierWelcome["visitorId"] as? String)
            try await visitor.send(["type": "profile", "ref": "id", "identity": ["userId": "user-7", "hash": hash] as [String: any Sendable]])
            var sawVisitorFrame = false
            var replayed: [String] = []
            var conversationID: String?
            while true {
                let frame = try #require(try await visitor.next())
                switch frame["type"] as? String {
                case "visitor":
                    // The row the anonymous hello put off, then the identified visitor.
                    if frame["visitorId"] as? String == earlierWelcome["visitorId"] as? String { sawVisitorFrame = true }
                case "message": replayed.append(((frame["message"] as? [String: Any])?["text"] as? String) ?? "")
                case "conversation": conversationID = (frame["conversation"] as? [String: Any])?["id"] as? String
                case "ok": break
                default: continue
                }
                if frame["type"] as? String == "ok" { break }
            }
            #expect(sawVisitorFrame)
            #expect(conversationID == ack["conversationId"] as? String)
            #expect(replayed.contains("my order is late"))

            try await visitor.send(["type": "send", "clientId": "e2", "text": "any news?", "ref": "s"])
            #expect(try await visitor.next("ack")["conversationId"] as? String == ack["conversationId"] as? String)

            let forged = try await harness.visitorHello().0
            try await forged.send(["type": "profile", "ref": "f", "identity": ["userId": "user-7", "hash": String(repeating: "0", count: 64)] as [String: any Sendable]])
            #expect(try await forged.next("error")["code"] as? String == "forbidden")
        }
    }

    @Test func newConversationLeavesARatedConversationUntouchedInsideTheReopenWindow() async throws {
        try await RealtimeHarness.with { harness in
            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "n1", "text": "first question"])
            let first = try #require(try await visitor.next("ack")["conversationId"] as? String)
            try await agent.send(["type": "resolve", "conversationId": first, "ref": "r"])
            _ = try await agent.next("ok")
            while (try await visitor.next("conversation")["conversation"] as? [String: Any])?["status"] as? String != "resolved" {}
            try await visitor.send(["type": "rate", "rating": 4, "ref": "rated"])
            _ = try await visitor.next("ok")

            try await visitor.send(["type": "send", "clientId": "n2", "text": "another topic", "newConversation": true])
            let second = try #require(try await visitor.next("ack")["conversationId"] as? String)
            #expect(second != first)
            let rows = try await harness.sql("SELECT id::text, status, csat_rating::text FROM conversations ORDER BY created_at")
            #expect(rows.map { $0[1] } == ["resolved", "open"])
            #expect(rows.first?[0]?.uppercased() == first && rows.first?[2] == "4")

            // The option does nothing to a conversation that is still going.
            try await visitor.send(["type": "send", "clientId": "n3", "text": "and one more", "newConversation": true])
            #expect(try await visitor.next("ack")["conversationId"] as? String == second)
        }
    }

    @Test func anAgentWhoChoosesOfflineStaysConnectedIsOfferedNothingAndIsNotBroughtBack() async throws {
        try await RealtimeHarness.with { harness in
            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            try await agent.send(["type": "presence", "status": "offline", "ref": "off"])
            #expect(try await agent.next("ok")["ref"] as? String == "off")
            #expect(try await harness.sql("SELECT p.status, p.offline_by_choice::text FROM agent_presence p JOIN users u ON u.id = p.user_id WHERE u.email = 'agent@acme.example'")
                    == [["offline", "true"]])

            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "o1", "text": "hello?"])
            #expect(try await visitor.next("queue")["position"] as? Int == 1)
            // After a presence heartbeat round of this node (every 10 s), even with the heartbeat
            // expired meanwhile, the connected agent is still offline.
            _ = try await harness.sql("UPDATE agent_presence SET heartbeat_at = now() - interval '1 hour'")
            try await Task.sleep(for: .seconds(11))
            #expect(try await harness.sql("SELECT status FROM agent_presence") == [["offline"]])
            #expect(try await harness.sql("SELECT status FROM conversations") == [["queued"]])

            try await agent.send(["type": "presence", "status": "online", "ref": "on"])
            _ = try await agent.next("ok")
            while (try await visitor.next("conversation")["conversation"] as? [String: Any])?["status"] as? String != "open" {}
        }
    }

    @Test func anAgentReconnectingAwayIsNotOfferedTheQueueMeanwhile() async throws {
        try await RealtimeHarness.with { harness in
            let token = try await harness.token(email: "agent@acme.example")
            let away = try await WebSocketTestClient.connect(port: harness.nodes[0].port, path: "/ws/agent?presence=away",
                                                             headers: [("Authorization", "Bearer \(token)")])
            #expect(try await away.next("welcome")["presence"] as? String == "away")
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "w1", "text": "anyone?"])
            #expect(try await visitor.next("queue")["position"] as? Int == 1)
            #expect(try await harness.sql("SELECT status FROM conversations") == [["queued"]])
            await #expect(throws: (any Error).self) {
                _ = try await WebSocketTestClient.connect(port: harness.nodes[0].port, path: "/ws/agent?presence=busy",
                                                          headers: [("Authorization", "Bearer \(token)")])
            }
        }
    }

    @Test func resumeReplaysEveryConversationAfterItsSeqAndAnswersOnceAllAreSent() async throws {
        try await RealtimeHarness.with { harness in
            let token = try await harness.token(email: "agent@acme.example")
            let (agent, _) = try await harness.agent(token: token)
            var conversations: [(id: String, visitor: WebSocketTestClient)] = []
            for index in 0..<3 {
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "r\(index)", "text": "hello \(index)"])
                conversations.append((try #require(try await visitor.next("ack")["conversationId"] as? String), visitor))
            }
            let lastSeqs = try await harness.sql("SELECT conversation_id::text, max(seq)::text FROM messages GROUP BY conversation_id")
            await agent.close()

            // While the agent is away, each visitor writes two more messages.
            for (index, conversation) in conversations.enumerated() {
                for extra in 0..<2 {
                    try await conversation.visitor.send(["type": "send", "clientId": "x\(index)-\(extra)", "text": "missed \(index)-\(extra)"])
                    _ = try await conversation.visitor.next("ack")
                }
            }
            let (again, _) = try await harness.agent(token: token)
            let unknown = UUID().uuidString
            var resume: [String: any Sendable] = [unknown: 0]
            for row in lastSeqs { resume[try #require(row[0])] = Int(try #require(row[1])) }
            try await again.send(["type": "resume", "ref": "back", "conversations": resume])
            var missed: Set<String> = []
            var states = 0
            while true {
                let frame = try #require(try await again.next())
                if frame["type"] as? String == "ok" {
                    #expect(frame["ref"] as? String == "back")
                    #expect(frame["notFound"] as? [String] == [unknown])
                    break
                }
                if frame["type"] as? String == "conversation" { states += 1 }
                if frame["type"] as? String == "message", let message = frame["message"] as? [String: Any], message["senderType"] as? String == "visitor" {
                    missed.insert(message["text"] as? String ?? "")
                }
            }
            #expect(missed == Set((0..<3).flatMap { index in (0..<2).map { "missed \(index)-\($0)" } }), "every missed message before the answer")
            #expect(states >= 3)
        }
    }
}

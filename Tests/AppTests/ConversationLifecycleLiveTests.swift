import Crypto
import Foundation
import NIOCore
import NIOWebSocket
import Testing
import TestSupport

/// Conversations over live sockets: queue positions, assignment when an agent arrives, typing
/// and read receipts, resolve, CSAT and reopen, verified identities, slow consumers, shutdown.
@Suite(.serialized) struct ConversationLifecycleLiveTests {
    @Test func visitorsWaitInTheQueueWithTheirPositionUntilAnAgentArrives() async throws {
        try await RealtimeHarness.with { harness in
            let (first, _) = try await harness.visitorHello()
            try await first.send(["type": "send", "clientId": "q1", "text": "anyone?"])
            #expect(try await first.next("queue")["position"] as? Int == 1)
            let (second, _) = try await harness.visitorHello()
            try await second.send(["type": "send", "clientId": "q2", "text": "hello?"])
            #expect(try await second.next("queue")["position"] as? Int == 2)

            let (agent, welcome) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            #expect((welcome["queue"] as? [Any])?.count == 2)
            for visitor in [first, second] {
                while true {
                    let frame = try await visitor.next("conversation")
                    if (frame["conversation"] as? [String: Any])?["status"] as? String == "open" { break }
                }
            }
            _ = agent
        }
    }

    @Test func typingReadReceiptsResolveRatingAndReopen() async throws {
        try await RealtimeHarness.with { harness in
            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "t1", "text": "typing test"])
            let ack = try await visitor.next("ack")
            let conversationID = try #require(ack["conversationId"] as? String)
            let seq = try #require(ack["seq"] as? Int)
            _ = try await agent.nextMessage(from: "visitor")

            try await visitor.send(["type": "typing", "typing": true])
            let typing = try await agent.next("typing")
            #expect(typing["senderType"] as? String == "visitor")
            #expect(typing["typing"] as? Bool == true)

            try await agent.send(["type": "read", "conversationId": conversationID, "seq": seq])
            let read = try await visitor.next("read")
            #expect(read["side"] as? String == "agent")
            #expect(read["seq"] as? Int == seq)

            // Rating an open conversation is refused; after resolve it is recorded.
            try await visitor.send(["type": "rate", "rating": 5, "ref": "early"])
            #expect(try await visitor.next("error")["code"] as? String == "conflict")
            try await agent.send(["type": "resolve", "conversationId": conversationID, "ref": "done"])
            #expect(try await agent.next("ok")["ref"] as? String == "done")
            while true {
                let frame = try await visitor.next("conversation")
                if (frame["conversation"] as? [String: Any])?["status"] as? String == "resolved" { break }
            }
            try await visitor.send(["type": "rate", "rating": 5, "comment": "很好", "ref": "rated"])
            #expect(try await visitor.next("ok")["ref"] as? String == "rated")
            #expect(try await harness.sql("SELECT csat_rating::text, csat_comment FROM conversations") == [["5", "很好"]])
            try await visitor.send(["type": "rate", "rating": 9])
            #expect(try await visitor.next("error")["code"] as? String == "invalid-frame")

            // A new message soon after reopens the same conversation.
            try await visitor.send(["type": "send", "clientId": "t2", "text": "one more thing"])
            let again = try await visitor.next("ack")
            #expect(again["conversationId"] as? String == conversationID)
            let events = try await harness.sql("SELECT body::json->>'event' FROM messages WHERE kind = 'event' ORDER BY seq")
            #expect(events.map { $0[0] } == ["assigned", "resolved", "rated", "reopened", "assigned"])
        }
    }

    @Test func aVerifiedIdentityIsTheSameVisitorOnEveryDeviceAndAWrongHashIsRefused() async throws {
        try await RealtimeHarness.with { harness in
            let hash = HMAC<SHA256>.authenticationCode(for: Data("user-42".utf8), using: SymmetricKey(data: Data(harness.acmeWidgetSecret.utf8)))
                .map { String(format: "%02x", $0) }.joined()
            let (phone, first) = try await harness.visitorHello(["identity": ["userId": "user-42", "hash": hash] as [String: any Sendable]])
            let (laptop, second) = try await harness.visitorHello(["identity": ["userId": "user-42", "hash": hash] as [String: any Sendable]])
            #expect(first["visitorId"] as? String == second["visitorId"] as? String)
            #expect(try await harness.sql("SELECT external_id FROM visitors") == [["user-42"]])

            // Another site user on the same browser (same token) does not inherit user-42's history.
            let otherHash = HMAC<SHA256>.authenticationCode(for: Data("user-43".utf8), using: SymmetricKey(data: Data(harness.acmeWidgetSecret.utf8)))
                .map { String(format: "%02x", $0) }.joined()
            let (_, third) = try await harness.visitorHello(["token": try #require(first["token"] as? String),
                                                             "identity": ["userId": "user-43", "hash": otherHash] as [String: any Sendable]])
            #expect(third["visitorId"] as? String != first["visitorId"] as? String)

            let forger = try await harness.visitor()
            try await forger.send(["type": "hello", "identity": ["userId": "user-42", "hash": String(repeating: "0", count: 64)] as [String: any Sendable]])
            #expect(try await forger.next("error")["code"] as? String == "forbidden")
            _ = (phone, laptop)
        }
    }

    @Test func aConsumerThatStopsReadingIsClosedWithAResumeHint() async throws {
        try await RealtimeHarness.with { harness in
            // 12 MB of history, far more than socket buffers and the outbound bounds hold.
            let (conversationID, owner) = try await Self.conversationWithHistory(3000, in: harness)
            let node = harness.nodes[0]
            // Reading nothing for longer than the pacing's 10 s patience: the server gives up on
            // the stalled socket. The client reads again as soon as the server says so (within
            // the 2 s the close frame waits), and gets what was queued, then the close frame.
            let (received, close) = try await StalledSocketClient.run(
                port: node.port, path: "/ws/agent", headers: [("Authorization", "Bearer \(owner)")],
                frame: #"{"type":"subscribe","conversationId":"\#(conversationID)","afterSeq":0}"#) {
                let deadline = ContinuousClock.now + .seconds(30)
                while !node.output.contains("closed a slow consumer"), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(close == .init(code: 4008, reason: "slow consumer: reconnect and resume from your last seq"))
            #expect(received > 0)
            #expect(received < 3000 * 4000, "closed before the whole history was pushed")
        }
    }

    @Test func aSlowButSteadyConsumerGetsAHugeHistoryPacedNotClosed() async throws {
        try await RealtimeHarness.with { harness in
            // 6 MB of history: many times the outbound bounds, read at about 3 MB/s.
            let (conversationID, owner) = try await Self.conversationWithHistory(1500, in: harness)
            let (received, closed) = try await StalledSocketClient.readSlowly(
                port: harness.nodes[0].port, path: "/ws/agent", headers: [("Authorization", "Bearer \(owner)")],
                frame: #"{"type":"subscribe","conversationId":"\#(conversationID)","afterSeq":0}"#,
                readEvery: .milliseconds(5), until: 1500 * 4000, timeout: .seconds(60))
            #expect(!closed, "a consumer that keeps reading is paced, not closed")
            #expect(received >= 1500 * 4000)
        }
    }

    /// A visitor's conversation with `count` more messages of 4,000 bytes written straight to the
    /// table, and the tenant owner's token to follow it with.
    static func conversationWithHistory(_ count: Int, in harness: RealtimeHarness) async throws -> (conversationID: String, owner: String) {
        let (visitor, _) = try await harness.visitorHello()
        try await visitor.send(["type": "send", "clientId": "big", "text": "start"])
        let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String)
        _ = try await harness.sql("""
            INSERT INTO messages (tenant_id, conversation_id, seq, sender_type, kind, body)
            SELECT tenant_id, id, g, 'visitor', 'text', repeat('x', 4000) FROM conversations,
                generate_series(kefu_conversation_last_seq(tenant_id, id) + 1, kefu_conversation_last_seq(tenant_id, id) + \(count)) g
            """)
        return (conversationID, try await harness.token(email: "boss@acme.example"))
    }

    @Test func shutdownTellsSocketsToReconnect() async throws {
        try await RealtimeHarness.with { harness in
            let (visitor, _) = try await harness.visitorHello()
            harness.nodes[0].signal(SIGTERM)
            let frame = try await visitor.next("reconnect")
            #expect(frame["reason"] as? String == "shutdown")
            while try await visitor.next() != nil {}
            #expect(await visitor.closeCode == WebSocketErrorCode(codeNumber: 1012))
            #expect(try await harness.nodes[0].waitForExit(timeout: .seconds(20)) == 0)
        }
    }

    @Test func aGracefulShutdownLetsGoOfItsAgentsBeforeThePoolCloses() async throws {
        try await RealtimeHarness.with { harness in
            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            #expect(try await harness.sql("SELECT count(*)::text FROM agent_connections") == [["1"]])
            harness.nodes[0].signal(SIGTERM)
            while try await agent.next() != nil {}
            #expect(await agent.closeCode == WebSocketErrorCode(codeNumber: 1012))
            #expect(try await harness.nodes[0].waitForExit(timeout: .seconds(20)) == 0)
            // The socket's close started the release as background work. The gateway held the
            // shutdown until the socket had closed, and the background work stops before the pool:
            // the node let go of the agent itself, nothing left to expire.
            #expect(try await harness.sql("SELECT count(*)::text FROM agent_connections") == [["0"]])
            let status = try await harness.sql("SELECT p.status FROM agent_presence p JOIN users u ON u.id = p.user_id WHERE u.email = 'agent@acme.example'")
            #expect(status == [["offline"]])
        }
    }
}

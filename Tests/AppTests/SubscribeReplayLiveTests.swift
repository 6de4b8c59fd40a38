import Foundation
import Testing
import TestSupport

/// `subscribe` with `afterSeq` answers with its `conversation` frame only after the replayed
/// messages, also when it races the catch-ups a `welcome` starts.
@Suite(.serialized) struct SubscribeReplayLiveTests {
    @Test func aSubscribeRacingTheWelcomeAnswersAfterEveryReplayedMessage() async throws {
        try await RealtimeHarness.with { harness in
            let agentToken = try await harness.token(email: "agent@acme.example")
            let (agent, _) = try await harness.agent(token: agentToken)
            let (visitor, _) = try await harness.visitorHello()
            // Fifteen from the visitor (within their burst allowance), fifteen replies.
            for index in 1...15 {
                try await Self.sendUntilAcknowledged(visitor, ["type": "send", "clientId": "c\(index)", "text": "message \(index)"])
            }
            let assigned = try await harness.sql("SELECT upper(id::text) FROM conversations WHERE status = 'open'")
            let conversationID = try #require(assigned.first?.first ?? nil, "the conversation was assigned to the only agent")
            for index in 1...15 {
                try await Self.sendUntilAcknowledged(agent, ["type": "send", "conversationId": conversationID, "clientId": "a\(index)", "text": "reply \(index)"])
            }
            let maximum = try await harness.sql("SELECT max(seq)::text FROM messages")
            let lastSeq = try #require(maximum.first.flatMap { $0.first ?? nil }.flatMap { Int($0) })
            await agent.close()

            for round in 0..<20 {
                let (socket, welcome): (WebSocketTestClient, JSONFrame)
                do { (socket, welcome) = try await harness.agent(token: agentToken) } catch {
                    Issue.record("round \(round): no welcome: \(error)")
                    return
                }
                #expect((welcome["conversations"] as? [[String: Any]])?.count == 1)
                try await socket.send(["type": "subscribe", "conversationId": conversationID, "afterSeq": 0, "ref": "s\(round)"])
                var seen: Set<Int> = []
                var types: [String] = []
                while true {
                    guard let frame = try? await socket.next(timeout: WebSocketTestClient.patience) else {
                        Issue.record("round \(round): no answer; frames so far: \(types)")
                        break
                    }
                    types.append(frame["type"] as? String ?? "?")
                    if frame["type"] as? String == "conversation" { break }
                    if frame["type"] as? String == "error" {
                        Issue.record("round \(round): \(frame.object)")
                        break
                    }
                    if frame["type"] as? String == "message", let message = frame["message"] as? [String: Any],
                       message["conversationId"] as? String == conversationID, let seq = message["seq"] as? Int {
                        seen.insert(seq)
                    }
                }
                #expect(seen == Set(1...lastSeq), "round \(round): the answer came before the replay (\(seen.count) of \(lastSeq))")
                await socket.close()
            }
            await visitor.close()
        }
    }

    /// Sends as a client should: with a ref, resending with the same clientId when told to
    /// (`unavailable`, `overloaded`, `rate-limited` — a loaded machine may say so), until acked.
    static func sendUntilAcknowledged(_ socket: WebSocketTestClient, _ frame: [String: any Sendable]) async throws {
        var frame = frame
        let ref = "r-\(frame["clientId"] ?? "")"
        frame["ref"] = ref
        for _ in 0..<20 {
            try await socket.send(frame)
            while true {
                let answer = try #require(try await socket.next(timeout: WebSocketTestClient.patience), "the socket closed before \(ref) was answered")
                guard answer["ref"] as? String == ref, let type = answer["type"] as? String, type == "ack" || type == "error" else { continue }
                if type == "ack" { return }
                let code = answer["code"] as? String ?? ""
                try #require(["unavailable", "overloaded", "rate-limited"].contains(code), "\(ref) refused: \(answer.object)")
                try await Task.sleep(for: .milliseconds(answer["retryAfterMs"] as? Int ?? 500))
                break
            }
        }
        Issue.record("\(ref) was never acknowledged")
    }
}

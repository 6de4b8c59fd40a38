import Foundation
import Testing

/// A bot answer streams to the conversation's sockets on every node, not only the one writing
/// it: a visitor with a tab on each node behind a balancer sees it grow in both, in order, and
/// sees it withdrawn in both.
@Suite(.serialized) struct BotStreamAcrossNodesLiveTests {
    @Test func aTabOnTheOtherNodeSeesTheAnswerGrowAndThenItsWithdrawal() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with(nodes: 2) { harness in
                _ = try await BotLiveTests.setUp(harness, llm, ["totalTimeoutMs": 2500])
                let (first, _) = try await harness.visitorHello(node: 0)
                try await first.send(["type": "send", "clientId": "v-1", "text": "[say:好的] 一"])
                let token = try #require(try await first.next("visitor")["token"] as? String)
                _ = try await first.nextMessage(from: "bot")
                let (second, _) = try await harness.visitorHello(node: 1, ["token": token])

                // Written on node 0 (the asking tab's), in pieces 0.4 s apart.
                try await first.send(["type": "send", "clientId": "v-2", "text": "[trickle] [say:第二个回答慢慢写] 二"])
                var pieces: [(offset: Int, delta: String, streamID: String)] = []
                var stored: [String: Any]?
                while stored == nil {
                    let frame = try #require(try await second.next())
                    switch frame["type"] as? String {
                    case "stream":
                        pieces.append((frame["offset"] as? Int ?? -1, frame["delta"] as? String ?? "", frame["streamId"] as? String ?? ""))
                    case "message":
                        let message = frame["message"] as? [String: Any]
                        // The first answer comes again, from the tab's resume: skipped.
                        if message?["senderType"] as? String == "bot", message?["text"] as? String != "好的" { stored = message }
                    default: break
                    }
                }
                #expect(pieces.first?.offset == 0, "shown from its first piece: \(pieces)")
                var expected = 0
                for piece in pieces {
                    #expect(piece.offset == expected, "no piece missed or repeated: \(pieces)")
                    expected += piece.delta.unicodeScalars.count
                }
                #expect(pieces.map(\.delta).joined() == "第二个回答慢慢写")
                #expect(Set(pieces.map(\.streamID)) == [stored?["clientId"] as? String ?? "?"], "the stored answer replaces its stream")
                #expect(stored?["text"] as? String == "第二个回答慢慢写")

                // Too long for the provider's total timeout: shown, then withdrawn on both nodes.
                try await first.send(["type": "send", "clientId": "v-3",
                                      "text": "[trickle] [say:One two three four five six seven eight nine ten eleven twelve.] 三"])
                let seen = try await second.watchAnswer { withdrawn, _ in withdrawn != nil }
                #expect(!seen.botStored, "a cut answer is never stored")
                #expect(seen.streamed && seen.withdrawn == "timeout", "shown on the other node, then withdrawn: \(String(describing: seen.withdrawn))")
                await first.close()
                await second.close()
            }
        }
    }
}

extension WebSocketTestClient {
    /// What a socket sees of a bot answer: frames are read until `done` (given the withdrawal's
    /// reason and the latest system event's text so far) says so.
    func watchAnswer(until done: (_ withdrawn: String?, _ system: String?) -> Bool) async throws
        -> (streamed: Bool, withdrawn: String?, system: String?, botStored: Bool) {
        var seen: (streamed: Bool, withdrawn: String?, system: String?, botStored: Bool) = (false, nil, nil, false)
        while !done(seen.withdrawn, seen.system) {
            let frame = try #require(try await next())
            switch frame["type"] as? String {
            case "stream": seen.streamed = true
            case "streamWithdrawn": seen.withdrawn = frame["reason"] as? String
            case "message":
                let message = frame["message"] as? [String: Any]
                if message?["senderType"] as? String == "bot" { seen.botStored = true }
                if message?["senderType"] as? String == "system" { seen.system = message?["text"] as? String }
            default: break
            }
        }
        return seen
    }
}

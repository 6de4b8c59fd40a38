import Foundation
import HTTPTypes
import Testing
import TestSupport

/// The bot end to end: a real `kefu serve` and a local provider speaking the real wire format
/// (`FakeLLMServer`). Providers are managed without their key ever coming back; a bot-first
/// widget's conversations are answered in streamed frames and stored once; the bot hands over
/// with a reason, stops when a person takes over, and never shows a masked or blocked word.
@Suite(.serialized) struct BotLiveTests {
    static let key = "sk-test-0123456789abcdefWXYZ"

    /// A provider on `llm` (the tenant's default) and the acme widget set to bot-first.
    static func setUp(_ harness: RealtimeHarness, _ llm: FakeLLMServer, _ extra: [String: Any] = [:]) async throws -> (boss: String, providerID: String) {
        let boss = try await harness.token(email: "boss@acme.example")
        var fields: [String: Any] = ["name": "Fake", "kind": "openai-compatible", "baseUrl": llm.openAIBase, "model": "fake-model",
                                     "apiKey": key, "isDefault": true, "firstTokenTimeoutMs": 1000, "totalTimeoutMs": 8000]
        fields.merge(extra) { $1 }
        let created = try await harness.request(.post, "/api/v1/llm/providers", fields, token: boss)
        #expect(created.status == .created, "\(created.text)")
        let widgets = try await harness.request(.get, "/api/v1/widgets", token: boss)
        let widgetID = try #require((widgets.json["items"] as? [[String: Any]])?.first?["id"] as? String)
        let enabled = try await harness.request(.patch, "/api/v1/widgets/\(widgetID)", ["bot": ["enabled": true]], token: boss)
        #expect((enabled.json["bot"] as? [String: Any])?["enabled"] as? Bool == true, "\(enabled.text)")
        return (boss, try #require(created.json["id"] as? String))
    }

    @Test func providersKeepTheirKeyToThemselvesAndATestMakesARealRoundTrip() async throws {
        try await FakeLLMServer.with { llm in
            // The most talkative log level: not a line of it may hold the key.
            try await RealtimeHarness.with(environment: ["KEFU_LOG_LEVEL": "trace"]) { harness in
                let (boss, id) = try await Self.setUp(harness, llm)
                // Requests that succeed, fail and are refused, all logged.
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "你好"])
                _ = try await visitor.nextMessage(from: "bot")
                try await visitor.send(["type": "send", "clientId": "v-2", "text": "[401] 你好"])
                _ = try await visitor.nextMessage(from: "system")
                await visitor.close()
                let read = try await harness.request(.get, "/api/v1/llm/providers/\(id)", token: boss)
                #expect(read.json["apiKeyLast4"] as? String == "WXYZ" && read.json["hasApiKey"] as? Bool == true)
                let list = try await harness.request(.get, "/api/v1/llm/providers", token: boss)
                for text in [read.text, list.text] { #expect(!text.contains(Self.key) && !text.contains("0123456789")) }
                let audit = try await harness.sql("SELECT changes::text FROM audit_log WHERE action LIKE 'llm_provider.%'")
                #expect(!audit.isEmpty && !audit.description.contains("0123456789"), "the key is never audited")
                let stored = try await harness.sql("SELECT api_key_last4, api_key_sealed IS NOT NULL FROM llm_providers")
                #expect(stored.first?.first == "WXYZ")

                let test = try await harness.request(.post, "/api/v1/llm/providers/\(id)/test", token: boss)
                #expect(test.json["ok"] as? Bool == true && (test.json["firstTokenMs"] as? Int) != nil, "\(test.text)")
                #expect(llm.requests.last?.authorization == "Bearer \(Self.key)")
                #expect(llm.requests.last?.body["model"] as? String == "fake-model")

                let broken = try await harness.request(.patch, "/api/v1/llm/providers/\(id)", ["baseUrl": "http://127.0.0.1:1/v1"], token: boss)
                #expect(broken.status == .ok && broken.json["hasApiKey"] as? Bool == false, "a new destination without a new key loses the key")
                let failing = try await harness.request(.post, "/api/v1/llm/providers/\(id)/test", token: boss)
                #expect(failing.json["ok"] as? Bool == false && (failing.json["error"] as? String)?.isEmpty == false, "\(failing.text)")

                let invalid = try await harness.request(.post, "/api/v1/llm/providers", ["name": "x", "kind": "openai-compatible", "baseUrl": "ftp://x",
                                                                                       "temperature": 3], token: boss)
                #expect(invalid.status.code == 422)
                let fields = Set((invalid.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
                #expect(fields == ["baseUrl", "model", "temperature"], "\(invalid.text)")
                let metadata = try await harness.request(.patch, "/api/v1/llm/providers/\(id)", ["baseUrl": "http://169.254.169.254/latest"], token: boss)
                #expect(metadata.status.code == 422 && metadata.text.contains("metadata"), "the node's metadata endpoint is no provider: \(metadata.text)")
                let agent = try await harness.token(email: "agent@acme.example")
                #expect(try await harness.request(.get, "/api/v1/llm/providers", token: agent).status == .forbidden)
                let output = harness.nodes[0].output
                #expect(output.contains("trace") || output.contains("debug") || output.count > 1_000, "the node logged: \(output.count) bytes")
                #expect(!output.contains("0123456789abcdef"), "the key is in no log line")
            }
        }
    }

    @Test func aBotFirstConversationIsAnsweredInStreamedFramesAndStoredOnce() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                _ = try await Self.setUp(harness, llm)
                let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
                let (visitor, welcome) = try await harness.visitorHello()
                #expect((welcome["widget"] as? [String: Any])?["bot"] as? Bool == true)
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "你好，营业时间是？", "ref": "s1"])
                let ack = try await visitor.next("ack")
                let conversationID = try #require(ack["conversationId"] as? String)

                var streamed = ""
                var streamID: String?
                var answer: [String: Any]?
                while answer == nil {
                    let frame = try #require(try await visitor.next())
                    switch frame["type"] as? String {
                    case "stream":
                        streamID = frame["streamId"] as? String
                        #expect(frame["offset"] as? Int == streamed.unicodeScalars.count, "each delta says where it goes: \(frame)")
                        streamed += frame["delta"] as? String ?? ""
                    case "message":
                        let message = frame["message"] as? [String: Any]
                        if message?["senderType"] as? String == "bot" { answer = message }
                    default: break
                    }
                }
                let text = "您好！我是客服助手，请问有什么可以帮您？"
                #expect(answer?["text"] as? String == text)
                #expect(streamID != nil && answer?["clientId"] as? String == streamID, "the stored answer names its stream")
                #expect(!streamed.isEmpty && text.hasPrefix(streamed), "deltas are the answer's start: \(streamed)")
                let stored = try await harness.sql("SELECT body FROM messages WHERE conversation_id = '\(conversationID)' AND sender_type = 'bot'")
                #expect(stored == [[text]])
                let status = try await harness.sql("SELECT status FROM conversations WHERE id = '\(conversationID)'")
                #expect(status == [["bot"]], "the bot holds it; nobody was assigned")
                #expect(llm.requests.last?.question == "你好，营业时间是？")
                let reply = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/messages", ["text": "hi", "clientId": "a"],
                                                      token: try await harness.token(email: "boss@acme.example"))
                #expect(reply.status == .conflict, "nobody replies over the bot without taking over")

                // Two questions in a row: the latest always gets its answer (the first gets its own
                // when the bot had started on it; a burst read together gets one answer).
                try await visitor.send(["type": "send", "clientId": "v-1b", "text": "[say:第一个回答] 一"])
                try await visitor.send(["type": "send", "clientId": "v-1c", "text": "[say:第二个回答] 二"])
                var answers: [String] = []
                while answers.last != "第二个回答" {
                    answers.append(try await visitor.nextMessage(from: "bot")["text"] as? String ?? "")
                }
                #expect(answers == ["第一个回答", "第二个回答"] || answers == ["第二个回答"], "\(answers)")

                // The visitor asks for a person in words: handed over at once, with the reason.
                try await visitor.send(["type": "send", "clientId": "v-2", "text": "请帮我转 人工"])
                let handoff = try await visitor.nextMessage(from: "system")
                #expect((handoff["text"] as? String)?.contains(#""reason":"keyword""#) == true, "\(handoff)")
                let assigned = try await agent.next("conversation")
                #expect((assigned["conversation"] as? [String: Any])?["id"] as? String == conversationID)
                let requests = llm.requests.count
                try await Task.sleep(for: .milliseconds(300))
                #expect(llm.requests.count == requests, "no provider call for a handoff keyword")
                await visitor.close()
                await agent.close()
            }
        }
    }

    @Test func everyFailureHandsOverWithItsReason() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                _ = try await Self.setUp(harness, llm, ["maxBotTurns": 1])
                // One answer allowed: the second question hands over (max-turns).
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "第一个问题"])
                _ = try await visitor.nextMessage(from: "bot")
                try await visitor.send(["type": "send", "clientId": "v-2", "text": "第二个问题"])
                let handoff = try await visitor.nextMessage(from: "system")
                #expect((handoff["text"] as? String)?.contains(#""reason":"max-turns""#) == true, "\(handoff)")
                // "Talk to a human" from the widget, while the provider is still thinking.
                let (other, _) = try await harness.visitorHello()
                try await other.send(["type": "send", "clientId": "v-1", "text": "[hang] 在吗"])
                _ = try await other.next("ack")
                try await other.send(["type": "handoff", "ref": "h"])
                let requested = try await other.nextMessage(from: "system")
                #expect((requested["text"] as? String)?.contains(#""reason":"requested""#) == true, "\(requested)")
                await visitor.close()
                await other.close()

                // Five failures in a row open the provider's breaker: the sixth is not even tried.
                for (question, reason) in [("[500] 你好", "provider-error"), ("[slow] 你好", "timeout"), ("[malformed] 你好", "provider-error"),
                                           ("[drop] 你好", "provider-error"), ("[429] 你好", "provider-error"), ("你好", "breaker-open")] {
                    let before = llm.requests.count
                    let (visitor, _) = try await harness.visitorHello()
                    try await visitor.send(["type": "send", "clientId": "v-1", "text": question])
                    _ = try await visitor.next("ack")
                    let handoff = try await visitor.nextMessage(from: "system")
                    #expect((handoff["text"] as? String)?.contains(#""reason":"\#(reason)""#) == true, "\(question): \(handoff)")
                    if reason == "breaker-open" { #expect(llm.requests.count == before) }
                    if question.hasPrefix("[500]") { #expect(llm.requests.count == before + 3, "tried three times before the first token") }
                    await visitor.close()
                }
            }
        }
    }

    @Test func aModelUnsureOfItsAnswerHandsOverAndItsMarkerIsNeverShown() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                _ = try await Self.setUp(harness, llm)
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "[unsure] 你们周末上班吗"])
                var shown = ""
                var handoff: [String: Any]?
                while handoff == nil {
                    let frame = try #require(try await visitor.next())
                    if frame["type"] as? String == "stream" { shown += frame["delta"] as? String ?? "" }
                    if frame["type"] as? String == "message", (frame["message"] as? [String: Any])?["senderType"] as? String == "bot" {
                        Issue.record("the marker was stored as an answer: \(frame)")
                    }
                    if frame["type"] as? String == "message", let message = frame["message"] as? [String: Any],
                       message["senderType"] as? String == "system" {
                        handoff = message
                    }
                }
                #expect((handoff?["text"] as? String)?.contains(#""reason":"low-confidence""#) == true, "\(String(describing: handoff))")
                #expect(shown.isEmpty, "nothing of the marker reaches the visitor: \(shown)")
                let prompt = (llm.requests.last?.body["messages"] as? [[String: any Sendable]])?.first?["content"] as? String ?? ""
                #expect(prompt.contains("reply with exactly [[handoff]]"), "the model is told how to say it: \(prompt)")
                #expect(try await harness.sql("SELECT count(*)::text FROM messages WHERE sender_type = 'bot'") == [["0"]])
                await visitor.close()
            }
        }
    }

    @Test func retriesWaitWhatA429AsksAndNothingIsRetriedAfterTheFirstToken() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                _ = try await Self.setUp(harness, llm)
                func ask(_ question: String) async throws -> (requests: [FakeLLMServer.Request], reason: String?) {
                    let before = llm.requests.count
                    let (visitor, _) = try await harness.visitorHello()
                    try await visitor.send(["type": "send", "clientId": "v-1", "text": question])
                    let handoff = try await visitor.nextMessage(from: "system")
                    await visitor.close()
                    let text = handoff["text"] as? String ?? ""
                    let reason = text.range(of: #""reason":"[a-z-]+""#, options: .regularExpression).map { String(text[$0]) }
                    return (Array(llm.requests.dropFirst(before)).filter { $0.path.hasSuffix("/chat/completions") }, reason)
                }
                // Retry-After: 1.2 s is waited out (the usual backoff would try again after 0.5 s, then 1 s).
                let limited = try await ask("[429:1.2] 你好")
                #expect(limited.requests.count == 3 && limited.reason == #""reason":"provider-error""#, "\(limited)")
                for (earlier, later) in zip(limited.requests, limited.requests.dropFirst()) {
                    #expect(later.at - earlier.at >= .milliseconds(1_150), "waited \(later.at - earlier.at)")
                }
                // A stream broken after its first token is not asked again: the visitor saw it start.
                let dropped = try await ask("[drop] 你好")
                #expect(dropped.requests.count == 1, "\(dropped.requests.count) requests")
            }
        }
    }

    @Test func anAnswerLongerThanTheTotalTimeoutIsWithdrawnAndHandedOver() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                _ = try await Self.setUp(harness, llm, ["totalTimeoutMs": 1500])
                let (visitor, _) = try await harness.visitorHello()
                // Ten pieces 0.4 s apart: it starts at once and would take 4 s.
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "[trickle] [say:One two three four five six seven eight nine ten.] hi"])
                let seen = try await visitor.watchAnswer { _, system in system != nil }
                #expect(!seen.botStored, "a cut answer is never stored")
                #expect(seen.streamed && seen.withdrawn == "timeout", "shown, then withdrawn: \(String(describing: seen.withdrawn))")
                #expect(seen.system?.contains(#""reason":"timeout""#) == true, "\(String(describing: seen.system))")
                #expect(llm.requests.filter { $0.path.hasSuffix("/chat/completions") }.count == 1, "not retried after its first token")
                await visitor.close()
            }
        }
    }

    @Test func aFailingProviderHandsItsQuestionToItsFallback() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let boss = try await harness.token(email: "boss@acme.example")
                let fallback = try await harness.request(.post, "/api/v1/llm/providers", [
                    "name": "Backup", "kind": "openai-compatible", "baseUrl": llm.openAIBase, "model": "healthy", "apiKey": Self.key,
                ], token: boss)
                let fallbackID = try #require(fallback.json["id"] as? String)
                _ = try await Self.setUp(harness, llm, ["fallbackProviderId": fallbackID])
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "[500] [say:Backup here.] hello"])
                let answer = try await visitor.nextMessage(from: "bot")
                #expect(answer["text"] as? String == "Backup here.")
                let models = llm.requests.filter { $0.path.hasSuffix("/chat/completions") }.compactMap { $0.body["model"] as? String }
                #expect(models == ["fake-model", "fake-model", "fake-model", "healthy"], "three tries, then the fallback: \(models)")
                await visitor.close()
            }
        }
    }

    @Test func anAgentTakesABotConversationOverWithTheRESTAccept() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await Self.setUp(harness, llm, ["totalTimeoutMs": 60000, "firstTokenTimeoutMs": 60000])
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "[hang] 在吗"])
                let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String)
                let accepted = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/accept", token: boss)
                #expect(accepted.status == .ok, "\(accepted.text)")
                #expect(accepted.json["status"] as? String == "open")
                let event = try await visitor.nextMessage(from: "system")
                #expect((event["text"] as? String)?.contains("assigned") == true, "\(event)")
                #expect(try await harness.sql("SELECT count(*)::text FROM messages WHERE sender_type = 'bot'") == [["0"]], "the bot stopped")
                await visitor.close()
            }
        }
    }

    @Test func wordsAreMaskedInsideTheStreamAndABlockedAnswerIsWithdrawn() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await Self.setUp(harness, llm)
                _ = try await harness.request(.post, "/api/v1/words", ["pattern": "傻瓜", "action": "mask"], token: boss)
                _ = try await harness.request(.post, "/api/v1/words", ["pattern": "代开发票", "action": "block", "category": "fraud", "senders": ["bot"]],
                                              token: boss)
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "[say:别担心，你可不是傻瓜哦，祝你今天愉快]"])
                var streamed = ""
                var answer: [String: Any]?
                while answer == nil {
                    let frame = try #require(try await visitor.next())
                    if frame["type"] as? String == "stream" { streamed += frame["delta"] as? String ?? "" }
                    if frame["type"] as? String == "message", (frame["message"] as? [String: Any])?["senderType"] as? String == "bot" {
                        answer = frame["message"] as? [String: Any]
                    }
                }
                #expect(!streamed.contains("傻") && !streamed.contains("瓜"), "masked characters never leave the server: \(streamed)")
                #expect(answer?["text"] as? String == "别担心，你可不是**哦，祝你今天愉快")

                try await visitor.send(["type": "send", "clientId": "v-2", "text": "[say:没问题，我们可以代开发票，请加微信]"])
                var withdrawn = false
                while true {
                    let frame = try #require(try await visitor.next())
                    if frame["type"] as? String == "streamWithdrawn" { withdrawn = true }
                    if frame["type"] as? String == "message", let message = frame["message"] as? [String: Any] {
                        #expect(message["senderType"] as? String != "bot", "a blocked answer is never stored")
                        if message["senderType"] as? String == "system", (message["text"] as? String)?.contains("handoff") == true {
                            #expect((message["text"] as? String)?.contains(#""reason":"content-blocked""#) == true)
                            break
                        }
                    }
                }
                #expect(withdrawn, "what was shown of the blocked answer (its settled start) is withdrawn")
                let bots = try await harness.sql("SELECT count(*)::text FROM messages WHERE sender_type = 'bot'")
                #expect(bots == [["1"]])
                await visitor.close()
            }
        }
    }

    @Test func aPersonTakingOverStopsTheBotAtOnceAndPeopleAreNeverSlowedByIt() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await Self.setUp(harness, llm, ["totalTimeoutMs": 60000, "firstTokenTimeoutMs": 60000])
                let agentToken = try await harness.token(email: "agent@acme.example")
                let (agent, _) = try await harness.agent(token: agentToken)
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "[hang] 你好"])
                let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String)

                // While the provider hangs, a visitor of a widget without the bot is answered as always.
                let plain = try await harness.request(.post, "/api/v1/widgets", ["name": "Plain", "allowedOrigins": [RealtimeHarness.origin]], token: boss)
                let plainKey = try #require(plain.json["publicKey"] as? String)
                let other = try await harness.visitor(key: plainKey)
                try await other.send(["type": "hello", "v": 1])
                _ = try await other.next("welcome")
                let started = ContinuousClock.now
                try await other.send(["type": "send", "clientId": "p-1", "text": "有人吗"])
                _ = try await other.next("ack")
                #expect(ContinuousClock.now - started < .seconds(2))

                try await agent.send(["type": "accept", "conversationId": conversationID, "ref": "a"])
                _ = try await agent.next("ok")
                try await Task.sleep(for: .milliseconds(500))
                let status = try await harness.sql("SELECT status FROM conversations WHERE id = '\(conversationID)'")
                #expect(status == [["open"]])
                let bots = try await harness.sql("SELECT count(*)::text FROM messages WHERE sender_type = 'bot'")
                #expect(bots == [["0"]], "the bot never talks over a person")
                await visitor.close()
                await other.close()
                await agent.close()
            }
        }
    }
    @Test func oneAnswerIsWrittenAtATimeAcrossNodesAndAQuestionAskedOnTheOtherNodeIsAnswered() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with(nodes: 2) { harness in
                _ = try await Self.setUp(harness, llm)
                // The visitor with a tab on each node (two nodes behind a balancer).
                let (first, _) = try await harness.visitorHello(node: 0)
                try await first.send(["type": "send", "clientId": "v-1", "text": "[trickle] [say:第一个回答慢慢写] 一"])
                let token = try #require(try await first.next("visitor")["token"] as? String)
                let (second, _) = try await harness.visitorHello(node: 1, ["token": token])
                _ = try await first.next("stream")
                // Asked on node 1 while node 0 writes the first answer: node 0 holds the lease, so
                // node 1 writes nothing now; node 0 answers it next.
                try await second.send(["type": "send", "clientId": "v-2", "text": "[say:第二个回答] 二"])
                _ = try await second.next("ack")
                var answers: [String] = []
                while answers.last != "第二个回答" {
                    answers.append(try await first.nextMessage(from: "bot")["text"] as? String ?? "")
                }
                #expect(answers == ["第一个回答慢慢写", "第二个回答"], "one answer at a time, in order: \(answers)")
                try await Task.sleep(for: .milliseconds(500))
                let stored = try await harness.sql("SELECT body FROM messages WHERE sender_type = 'bot' ORDER BY seq")
                #expect(stored == [["第一个回答慢慢写"], ["第二个回答"]], "each question answered once")
                #expect(llm.requests.filter { $0.path.hasSuffix("/chat/completions") }.count == 2)
                let lease = try await harness.sql("SELECT bot_lease_node FROM conversations")
                #expect(lease == [[nil]], "the lease is let go once the answers are written")
                await first.close()
                await second.close()
            }
        }
    }
}

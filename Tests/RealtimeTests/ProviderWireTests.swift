import Foundation
import NIOCore
import Testing
@testable import Realtime
import Tenancy

/// Provider wire formats without a network: server-sent events read as the standard says, each
/// kind's request and events, and settled text while an answer streams in.
@Suite struct ProviderWireTests {
    func events(_ chunks: [String]) -> [ServerSentEvents.Event] {
        var parser = ServerSentEvents()
        var events: [ServerSentEvents.Event] = []
        for chunk in chunks { parser.read(Array(chunk.utf8)) { events.append($0) } }
        parser.finish()
        return events
    }

    @Test func serverSentEventsFollowTheStandard() {
        let read = events(["\u{FEFF}: comment\r\n", "data: a\r", "\ndata:b\n\nevent: ping\nid: 7\ndata", ":x\n\n", "data: half", "\n\n", "data: dropped"])
        #expect(read == [
            .init(type: "message", data: "a\nb", id: nil),
            .init(type: "ping", data: "x", id: "7"),
            .init(type: "message", data: "half", id: "7"),
        ])
        #expect(events(["event: x\n\n", "id: 1\n\n"]).isEmpty, "an event without data is not dispatched")
        #expect(events(["data: 你", "好\n\n"]).map(\.data) == ["你好"], "a character split between chunks")
    }

    @Test func openAIAndAzureRequestsAndEvents() throws {
        var provider = BotProvider(name: "p", kind: .openAICompatible, baseURL: "https://api.example/v1/", model: "m", apiKey: "sk-1")
        let request = try ProviderWire.request(for: provider, turns: [ChatTurn(.system, "s"), ChatTurn(.user, "hi")], user: "u")
        #expect(request.url == "https://api.example/v1/chat/completions")
        #expect(request.headers.first(name: "Authorization") == "Bearer sk-1")
        provider.kind = .azureOpenAI
        provider.deployment = "gpt 4o"
        provider.apiVersion = "2024-10-21"
        let azure = try ProviderWire.request(for: provider, turns: [ChatTurn(.user, "hi")], user: "u")
        #expect(azure.url == "https://api.example/v1/openai/deployments/gpt%204o/chat/completions?api-version=2024-10-21")
        #expect(azure.headers.first(name: "api-key") == "sk-1" && azure.headers.first(name: "Authorization") == nil)
        let delta = ServerSentEvents.Event(data: #"{"choices":[{"index":0,"delta":{"content":"你好"}}]}"#)
        #expect(ProviderWire.piece(delta, kind: .openAICompatible) == .delta("你好"))
        #expect(ProviderWire.piece(.init(data: "[DONE]"), kind: .azureOpenAI) == .done)
        #expect(ProviderWire.piece(.init(data: #"{"choices":[{"delta":{"role":"assistant"}}]}"#), kind: .openAICompatible) == .nothing)
        #expect(ProviderWire.piece(.init(data: #"{"error":{"message":"bad"}}"#), kind: .openAICompatible) == .failed("bad"))
        if case .failed = ProviderWire.piece(.init(data: "{oops"), kind: .openAICompatible) {} else { Issue.record("malformed JSON is a failure") }
    }

    @Test func reasoningModelsAreAskedForCompletionTokensWithoutATemperature() {
        var provider = BotProvider(name: "p", kind: .openAICompatible, baseURL: "https://api.example/v1", model: "gpt-4o-mini", maxTokens: 300)
        let classic = ProviderWire.parts(for: provider, turns: [ChatTurn(.user, "hi")], user: "u").body
        #expect(classic["max_tokens"] as? Int == 300 && classic["temperature"] as? Double == 0.3 && classic["max_completion_tokens"] == nil)
        for model in ["o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "openai/gpt-5-mini"] {
            provider.model = model
            let body = ProviderWire.parts(for: provider, turns: [ChatTurn(.user, "hi")], user: "u").body
            #expect(body["max_completion_tokens"] as? Int == 300 && body["max_tokens"] == nil && body["temperature"] == nil, "\(model)")
        }
        for model in ["deepseek-chat", "qwen-plus", "o1x", "gpt-4.1"] {
            provider.model = model
            #expect(ProviderWire.parts(for: provider, turns: [ChatTurn(.user, "hi")], user: "u").body["max_tokens"] as? Int == 300, "\(model)")
        }
    }

    @Test func aRetryAfterIsReadSafely() {
        #expect(ChatStreamer.retryAfter("0.1") == .milliseconds(100))
        #expect(ChatStreamer.retryAfter("3600") == .seconds(60), "capped at a minute")
        for bad in ["inf", "nan", "-1", "1e300x", "Wed, 21 Oct 2026 07:28:00 GMT", ""] { #expect(ChatStreamer.retryAfter(bad) == nil, "\(bad)") }
        #expect(ChatStreamer.retryAfter("1e300") == .seconds(60))
        #expect(ProviderWire.piece(.init(data: #"{"choices":[{"delta":{"reasoning_content":"嗯"}}]}"#), kind: .openAICompatible) == .thinking)
        if case .failed = ProviderWire.piece(.init(data: #"{"event":"message_replace","answer":"x"}"#), kind: .dify) {} else {
            Issue.record("Dify's moderation replacing an answer is not shown")
        }
    }

    @Test func difyRequestsAndEvents() throws {
        let provider = BotProvider(name: "d", kind: .dify, baseURL: "https://dify.example/v1", apiKey: "app-1")
        let request = try ProviderWire.request(for: provider, turns: [ChatTurn(.user, "c")], user: "visitor-1")
        #expect(request.url == "https://dify.example/v1/chat-messages")
        let json = ProviderWire.parts(for: provider, turns: [ChatTurn(.system, "s"), ChatTurn(.user, "a"), ChatTurn(.assistant, "b"),
                                                            ChatTurn(.user, "c")], user: "visitor-1").body
        #expect(json["response_mode"] as? String == "streaming" && json["user"] as? String == "visitor-1")
        #expect(json["query"] as? String == "Visitor: a\nAssistant: b\nc")
        #expect(ProviderWire.piece(.init(data: #"{"event":"message","answer":"好"}"#), kind: .dify) == .delta("好"))
        #expect(ProviderWire.piece(.init(data: #"{"event":"agent_message","answer":"的"}"#), kind: .dify) == .delta("的"))
        #expect(ProviderWire.piece(.init(data: #"{"event":"message_end"}"#), kind: .dify) == .done)
        #expect(ProviderWire.piece(.init(data: #"{"event":"error","message":"quota"}"#), kind: .dify) == .failed("quota"))
        #expect(ProviderWire.piece(.init(data: #"{"event":"ping"}"#), kind: .dify) == .nothing)
    }

    @Test func settledTextNeverHoldsWhatAMatchCouldStillChange() {
        let matcher = WordMatcher(rules: [WordRule(pattern: "傻瓜", action: .mask), WordRule(pattern: "ass", action: .mask, exceptions: ["assets"])])
        let first = matcher.checkSettled("你是傻", sender: .bot)
        #expect(first.settled == 2, "傻 may begin 傻瓜")
        #expect(matcher.checkSettled("你是傻瓜", sender: .bot).settled == 2, "a match at the very end may still grow")
        let second = matcher.checkSettled("你是傻瓜吗", sender: .bot)
        #expect(second.verdict.text == "你是**吗" && second.settled == 5)
        let word = matcher.checkSettled("our ass", sender: .bot)
        #expect(word.settled <= 4, "a whole word that may go on (assets) stays unsettled: \(word.settled)")
        let done = matcher.checkSettled("our assets ok", sender: .bot)
        #expect(done.verdict.action == nil)
    }

    @Test func whatMayStartTheHandoffMarkerIsHeldBack() {
        #expect(BotStream.withoutMarkerStart("Let me see [[hand") == "Let me see ")
        #expect(BotStream.withoutMarkerStart("Let me see [") == "Let me see ")
        #expect(BotStream.withoutMarkerStart("[[handoff") == "")
        #expect(BotStream.withoutMarkerStart("a [b] c") == "a [b] c", "a bracket that cannot start it goes out")
        #expect(BotStream.withoutMarkerStart("好的") == "好的")
        #expect(BotStream.withoutMarkerStart("") == "")
    }
}

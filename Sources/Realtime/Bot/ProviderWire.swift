import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Each provider kind's wire format: the streaming request it is sent, and what each of its
/// server-sent events means. Nothing else in the bot knows one format from another.
enum ProviderWire {
    /// What one event of a stream says.
    enum Piece: Equatable {
        /// More of the answer.
        case delta(String)
        /// The answer is complete.
        case done
        /// A reasoning model's thinking (`reasoning_content`): not shown, but the provider is busy.
        case thinking
        /// The provider reported an error inside the stream.
        case failed(String)
        /// Nothing for us (keep-alives, metadata).
        case nothing
    }

    /// The streaming request for `turns`. `user` names the visitor to providers that want one.
    static func request(for provider: BotProvider, turns: [ChatTurn], user: String) throws -> HTTPClientRequest {
        let (url, headers, body) = parts(for: provider, turns: turns, user: user)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        return request
    }

    /// The request's URL, its credential header, and its JSON body.
    static func parts(for provider: BotProvider, turns: [ChatTurn], user: String) -> (url: String, headers: [(String, String)], body: [String: Any]) {
        let base = provider.baseURL.hasSuffix("/") ? String(provider.baseURL.dropLast()) : provider.baseURL
        switch provider.kind {
        case .openAICompatible:
            var body = chatBody(provider, turns, reasoning: isReasoningModel(provider.model))
            body["model"] = provider.model
            return (base + "/chat/completions", provider.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [], body)
        case .azureOpenAI:
            let deployment = provider.deployment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? provider.deployment
            let version = provider.apiVersion.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? provider.apiVersion
            return (base + "/openai/deployments/\(deployment)/chat/completions?api-version=\(version)",
                    provider.apiKey.map { [("api-key", $0)] } ?? [], chatBody(provider, turns, reasoning: isReasoningModel(provider.deployment)))
        case .dify:
            // A Dify app holds its own prompt and knowledge; it is sent the conversation as one
            // query (earlier turns first), since Kefu keeps no Dify conversation ids.
            let earlier = turns.dropLast().filter { $0.role != .system }.map { "\($0.role == .user ? "Visitor" : "Assistant"): \($0.content)" }
            let query = (earlier + [turns.last?.content ?? ""]).joined(separator: "\n")
            let body: [String: Any] = ["inputs": [String: String](), "query": query, "response_mode": "streaming", "conversation_id": "", "user": user]
            return (base + "/chat-messages", provider.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [], body)
        }
    }

    /// OpenAI's reasoning models (o1, o3, o4-mini, gpt-5…) refuse `max_tokens` and any
    /// temperature but the default: they take `max_completion_tokens` instead.
    static func isReasoningModel(_ model: String) -> Bool {
        let name = model.lowercased().split(separator: "/").last.map(String.init) ?? ""
        return ["o1", "o3", "o4", "gpt-5"].contains { name == $0 || name.hasPrefix($0 + "-") }
    }

    private static func chatBody(_ provider: BotProvider, _ turns: [ChatTurn], reasoning: Bool) -> [String: Any] {
        var body: [String: Any] = [
            "messages": turns.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": true,
        ]
        if reasoning {
            body["max_completion_tokens"] = provider.maxTokens
        } else {
            body["temperature"] = provider.temperature
            body["max_tokens"] = provider.maxTokens
        }
        return body
    }

    /// The request embedding `texts` with the provider's embedding model (OpenAI's format, which
    /// Azure's embedding deployments speak too).
    static func embeddingRequest(for provider: BotProvider, texts: [String]) throws -> HTTPClientRequest {
        let base = provider.baseURL.hasSuffix("/") ? String(provider.baseURL.dropLast()) : provider.baseURL
        var url = base + "/embeddings"
        var body: [String: Any] = ["input": texts, "encoding_format": "float"]
        var headers: [(String, String)] = provider.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? []
        if provider.kind == .azureOpenAI {
            let deployment = provider.embeddingModel.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? provider.embeddingModel
            let version = provider.apiVersion.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? provider.apiVersion
            url = base + "/openai/deployments/\(deployment)/embeddings?api-version=\(version)"
            headers = provider.apiKey.map { [("api-key", $0)] } ?? []
        } else {
            body["model"] = provider.embeddingModel
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        return request
    }

    /// The vectors of an embeddings answer, in the order of the texts sent (`index`), or nil
    /// when the answer is not one (or not one vector per text, all of one length).
    static func embeddings(_ body: ByteBuffer, count: Int) -> [[Float]]? {
        guard let object = json(String(buffer: body)), let data = object["data"] as? [[String: Any]], data.count == count else { return nil }
        var vectors = [[Float]?](repeating: nil, count: count)
        for (position, item) in data.enumerated() {
            let index = item["index"] as? Int ?? position
            guard vectors.indices.contains(index), let numbers = item["embedding"] as? [NSNumber], !numbers.isEmpty else { return nil }
            vectors[index] = numbers.map(\.floatValue)
        }
        let all = vectors.compactMap { $0 }
        guard all.count == count, Set(all.map(\.count)).count == 1 else { return nil }
        return all
    }

    /// What `event` says, in `kind`'s format.
    static func piece(_ event: ServerSentEvents.Event, kind: BotProvider.Kind) -> Piece {
        let data = event.data
        switch kind {
        case .openAICompatible, .azureOpenAI:
            if data.trimmingCharacters(in: .whitespaces) == "[DONE]" { return .done }
            guard let object = json(data) else { return data.isEmpty ? .nothing : .failed("unreadable event: \(data.prefix(200))") }
            if let error = object["error"] as? [String: Any] { return .failed(error["message"] as? String ?? "error") }
            guard let choice = (object["choices"] as? [[String: Any]])?.first else { return .nothing }
            let delta = choice["delta"] as? [String: Any]
            if let content = delta?["content"] as? String, !content.isEmpty { return .delta(content) }
            if let thinking = delta?["reasoning_content"] as? String, !thinking.isEmpty { return .thinking }
            return .nothing
        case .dify:
            guard let object = json(data) else { return data.isEmpty ? .nothing : .failed("unreadable event: \(data.prefix(200))") }
            switch object["event"] as? String {
            case "message", "agent_message":
                guard let answer = object["answer"] as? String, !answer.isEmpty else { return .nothing }
                return .delta(answer)
            case "message_end": return .done
            // Dify's own output moderation replaced the answer: it is not to be shown.
            case "message_replace": return .failed("the answer was replaced by the provider's moderation")
            case "error": return .failed(object["message"] as? String ?? "error")
            default: return .nothing
            }
        }
    }

    /// The message of an error answer's body (`{"error":{"message":…}}`, Dify's `{"message":…}`).
    static func errorMessage(_ body: ByteBuffer) -> String {
        // Only a provider's JSON error is repeated: any other body (an internal page reached by a
        // misconfigured URL, say) stays unread by the administrator.
        guard let object = json(String(buffer: body)) else { return "no JSON error body" }
        if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return String(message.prefix(300)) }
        if let message = object["message"] as? String { return String(message.prefix(300)) }
        return "no error message"
    }

    private static func json(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}

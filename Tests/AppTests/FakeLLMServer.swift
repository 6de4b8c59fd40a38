import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TestSupport

/// A local LLM provider for the tests, speaking the real wire formats over HTTP with streamed
/// server-sent events: OpenAI's `/v1/chat/completions` (and Azure's deployment path), and Dify's
/// `/v1/chat-messages`. What it does is chosen by markers in the visitor's latest message:
///
/// - `[slow]`: the first token after 1.5 s; `[trickle]`: 0.4 s between pieces; `[hang]`: nothing
///   for a minute;
/// - `[500]`: HTTP 500 (unless the request's model is `healthy`); `[429]`: HTTP 429 with
///   `Retry-After: 0.1` (`[429:N]`: `Retry-After: N`); `[401]`: a refused key;
/// - `[malformed]`: an event that is not JSON; `[drop]`: the connection drops after two tokens;
/// - `[say:TEXT]`: answers TEXT (in pieces of two characters); `[unsure]`: answers `[[handoff]]`,
///   the marker a model writes when it cannot answer with confidence;
/// - otherwise: answers "您好！我是客服助手，请问有什么可以帮您？".
///
/// `/v1/embeddings` (and Azure's embedding deployments) answer with vectors of `dimensions`
/// numbers made from the concepts a text mentions (`concepts`: refund, shipping, account, in
/// English and Chinese) and, faintly, its words: texts about one concept are close although they
/// share no word. An input containing `[embed-500]` fails the request.
final class FakeLLMServer: Sendable {
    struct Request: Sendable {
        /// When it arrived.
        let at = ContinuousClock.now
        let path: String
        let authorization: String?
        let apiKey: String?
        let body: [String: any Sendable]

        /// The latest user message (OpenAI formats) or the query (Dify).
        var question: String {
            if let query = body["query"] as? String { return query }
            let messages = body["messages"] as? [[String: any Sendable]] ?? []
            return messages.last(where: { $0["role"] as? String == "user" })?["content"] as? String ?? ""
        }
    }

    let port: Int
    private let received = Mutex<[Request]>([])
    /// How long the vectors are: a test may change it under the same model name.
    let vectorLength = Mutex(FakeLLMServer.dimensions)

    var requests: [Request] { received.withLock { $0 } }

    private init(port: Int) {
        self.port = port
    }

    /// Runs a server for `body`'s length.
    static func with<Result: Sendable>(_ body: (FakeLLMServer) async throws -> Result) async throws -> Result {
        let router = Router()
        let box = Mutex<FakeLLMServer?>(nil)
        let requests: @Sendable (Request) -> Void = { request in box.withLock { $0?.received.withLock { $0.append(request) } } }
        // Set when the server is about to stop: a hanging answer ends then, not a minute later.
        let closing = Closing()
        router.post("v1/chat/completions") { request, _ in try await answer(request, format: .openAI, record: requests, closing: closing) }
        router.post("openai/deployments/{deployment}/chat/completions") { request, _ in
            try await answer(request, format: .openAI, record: requests, closing: closing)
        }
        router.post("v1/chat-messages") { request, _ in try await answer(request, format: .dify, record: requests, closing: closing) }
        let length: @Sendable () -> Int = { box.withLock { $0?.vectorLength.withLock { $0 } } ?? dimensions }
        router.post("v1/embeddings") { request, _ in try await embeddings(request, record: requests, length: length()) }
        router.post("openai/deployments/{deployment}/embeddings") { request, _ in try await embeddings(request, record: requests, length: length()) }
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: {
                // Quiet: a test stopping it mid-answer is expected, not an error worth a line.
                var logger = Logger(label: "fake-llm")
                logger.logLevel = .critical
                return logger
            }())
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw TestSetupError("the fake LLM server did not start") }
            let server = FakeLLMServer(port: port)
            box.withLock { $0 = server }
            defer {
                closing.set()
                group.cancelAll()
            }
            return try await body(server)
        }
    }

    /// The base URL of an openai-compatible provider here.
    var openAIBase: String { "http://127.0.0.1:\(port)/v1" }

    private enum Format { case openAI, dify }

    /// Whether the server is stopping.
    final class Closing: Sendable {
        private let flag = Mutex(false)
        var isSet: Bool { flag.withLock { $0 } }
        func set() { flag.withLock { $0 = true } }
    }

    private static func answer(_ request: Hummingbird.Request, format: Format, record: @Sendable (Request) -> Void,
                               closing: Closing) async throws -> Response {
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        let seen = Request(path: request.uri.path, authorization: request.headers[.authorization], apiKey: request.headers[HTTPField.Name("api-key")!],
                           body: json.mapValues { Self.sendable($0) })
        record(seen)
        let question = seen.question
        // A provider whose model is "healthy" (a fallback, say) answers what others fail.
        let healthy = json["model"] as? String == "healthy"
        if question.contains("[500]"), !healthy { return error(.internalServerError, "the model is overloaded") }
        if question.contains("[401]") { return error(.unauthorized, "Incorrect API key provided") }
        if let range = question.range(of: #"\[429(:[0-9.]+)?\]"#, options: .regularExpression) {
            var response = error(.tooManyRequests, "Rate limit reached")
            let seconds = question[range].dropFirst(4).dropLast().drop { $0 == ":" }
            response.headers[HTTPField.Name("Retry-After")!] = seconds.isEmpty ? "0.1" : String(seconds)
            return response
        }
        var text = "您好！我是客服助手，请问有什么可以帮您？"
        if question.contains("[unsure]") { text = "[[handoff]]" }
        if let range = question.range(of: #"\[say:([^\]]*)\]"#, options: .regularExpression) {
            text = String(question[range].dropFirst(5).dropLast())
        }
        let pieces = stride(from: 0, to: text.count, by: 2).map { start in
            String(text.dropFirst(start).prefix(2))
        }
        let slow = question.contains("[slow]")
        let hang = question.contains("[hang]")
        let malformed = question.contains("[malformed]")
        let drop = question.contains("[drop]")
        let trickle = question.contains("[trickle]")
        let body = ResponseBody { writer in
            if hang {
                let until = ContinuousClock.now + .seconds(60)
                while !closing.isSet, ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(100)) }
                throw CancellationError()
            }
            if slow { try await Task.sleep(for: .milliseconds(1500)) }
            if malformed {
                try await writer.write(ByteBuffer(string: "data: {not json\n\n"))
                try await writer.finish(nil)
                return
            }
            for (index, piece) in pieces.enumerated() {
                if drop, index == 2 { throw CancellationError() }
                try await writer.write(ByteBuffer(string: event(piece, format: format)))
                try await Task.sleep(for: .milliseconds(trickle ? 400 : 20))
            }
            try await writer.write(ByteBuffer(string: format == .openAI ? "data: [DONE]\n\n" : "data: {\"event\":\"message_end\"}\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static let dimensions = 64
    static let concepts: [[String]] = [
        ["refund", "money back", "reimburse", "退款", "退钱", "退货"],
        ["shipping", "delivery", "deliver", "courier", "发货", "配送", "快递"],
        ["password", "log in", "sign in", "account", "密码", "登录", "账号"],
    ]

    /// A text's vector: a strong component per concept it mentions, a faint one per word.
    static func vector(_ text: String, dimensions: Int = dimensions) -> [Double] {
        var vector = [Double](repeating: 0, count: dimensions)
        let lowered = text.lowercased()
        for (index, words) in concepts.enumerated() where words.contains(where: lowered.contains) { vector[index] += 3 }
        for word in lowered.split(whereSeparator: { !$0.isLetter }) {
            // FNV-1a: the same word lands in the same place in every run.
            let hash = word.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
            vector[concepts.count + Int(hash % UInt32(dimensions - concepts.count))] += 0.3
        }
        if vector.allSatisfy({ $0 == 0 }) { vector[dimensions - 1] = 1 }
        return vector
    }

    private static func embeddings(_ request: Hummingbird.Request, record: @Sendable (Request) -> Void, length: Int) async throws -> Response {
        let bytes = try await request.body.collect(upTo: 8 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        record(Request(path: request.uri.path, authorization: request.headers[.authorization], apiKey: request.headers[HTTPField.Name("api-key")!],
                       body: json.mapValues { Self.sendable($0) }))
        let inputs = json["input"] as? [String] ?? (json["input"] as? String).map { [$0] } ?? []
        if inputs.contains(where: { $0.contains("[embed-500]") }) { return error(.internalServerError, "the embedding model is down") }
        let data = inputs.enumerated().map { index, text in ["object": "embedding", "index": index, "embedding": vector(text, dimensions: length)] as [String: Any] }
        let body = try JSONSerialization.data(withJSONObject: ["object": "list", "data": data, "model": json["model"] ?? "deployment"])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func event(_ piece: String, format: Format) -> String {
        let escaped = String(decoding: try! JSONSerialization.data(withJSONObject: [piece]), as: UTF8.self).dropFirst().dropLast()
        switch format {
        case .openAI:
            return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\(escaped)},\"finish_reason\":null}]}\n\n"
        case .dify:
            return "event: message\ndata: {\"event\":\"message\",\"answer\":\(escaped),\"conversation_id\":\"c1\"}\n\n"
        }
    }

    private static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = #"{"error":{"message":"\#(message)","type":"server_error"}}"#
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private static func sendable(_ value: Any) -> any Sendable {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.doubleValue
        case let array as [Any]: array.map { sendable($0) }
        case let object as [String: Any]: object.mapValues { sendable($0) }
        default: String(describing: value)
        }
    }
}

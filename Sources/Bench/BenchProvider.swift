import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A stand-in LLM provider for the bot benchmark, in this process so that its clock is the
/// bench's own: OpenAI's streaming `/v1/chat/completions` and `/v1/embeddings` over HTTP/1.1.
/// The visitor's latest message picks how it answers:
///
/// - `[stream]`: 40 deltas 5 ms apart, each carrying its number (`§n§`), the time each was written
///   kept, so a receiver measures delta → frame;
/// - `[slow]`: the first token after 1 s, then 20 tokens a second, 60 in all;
/// - `[hang]`: headers, then nothing until the connection closes;
/// - otherwise: eight tokens at once.
///
/// A question carrying `[q:KEY]` is known by KEY: when it arrived, when each numbered delta of its
/// answer was written. Embeddings are 256 numbers from the text's words (the same text, the same vector).
final class BenchProvider: Sendable {
    let port: Int
    private let channel: any Channel
    /// When each question arrived, by its key.
    private let arrivals = Mutex<[String: ContinuousClock.Instant]>([:])
    /// When each numbered delta of each question's answer was written.
    private let deltas = Mutex<[String: [Int: ContinuousClock.Instant]]>([:])
    let requests = Atomic<Int>(0)

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    static func start(group: any EventLoopGroup) async throws -> BenchProvider {
        let box = Mutex<BenchProvider?>(nil)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler { box.withLock { $0 } })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let provider = BenchProvider(port: channel.localAddress?.port ?? 0, channel: channel)
        box.withLock { $0 = provider }
        return provider
    }

    func stop() async {
        try? await channel.close()
    }

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    func arrival(of user: String) -> ContinuousClock.Instant? {
        arrivals.withLock { $0[user] }
    }

    func deltaWritten(_ user: String, _ number: Int) -> ContinuousClock.Instant? {
        deltas.withLock { $0[user]?[number] }
    }

    fileprivate func arrived(_ user: String) {
        requests.add(1, ordering: .relaxed)
        arrivals.withLock { $0[user] = .now }
    }

    fileprivate func wrote(_ user: String, _ number: Int) {
        deltas.withLock { $0[user, default: [:]][number] = .now }
    }

    static func vector(_ text: String) -> [Double] {
        var vector = [Double](repeating: 0, count: 256)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            let hash = word.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
            vector[Int(hash % 256)] += 1
        }
        vector[0] += 0.01
        return vector
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let provider: () -> BenchProvider?
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(provider: @escaping () -> BenchProvider?) {
            self.provider = provider
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var part):
                body.writeBuffer(&part)
            case .end:
                guard let head, let provider = provider() else { return }
                let json = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
                if head.uri.hasSuffix("/embeddings") {
                    embeddings(json, context: context)
                } else {
                    chat(json, provider: provider, context: context)
                }
            }
        }

        private func embeddings(_ json: [String: Any], context: ChannelHandlerContext) {
            let inputs = json["input"] as? [String] ?? []
            let data = inputs.enumerated().map { ["object": "embedding", "index": $0.offset, "embedding": BenchProvider.vector($0.element)] as [String: Any] }
            let bytes = (try? JSONSerialization.data(withJSONObject: ["object": "list", "data": data])) ?? Data()
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(bytes.count))])
            headers.add(name: "Connection", value: "keep-alive")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }

        private func chat(_ json: [String: Any], provider: BenchProvider, context: ChannelHandlerContext) {
            let messages = json["messages"] as? [[String: Any]] ?? []
            let question = messages.last { $0["role"] as? String == "user" }?["content"] as? String ?? ""
            let user = question.range(of: #"\[q:[^\]]+\]"#, options: .regularExpression).map { String(question[$0].dropFirst(3).dropLast()) } ?? ""
            provider.arrived(user)
            let headers = HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"), ("Transfer-Encoding", "chunked")])
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            if question.contains("[hang]") { return }
            let (count, first, every): (Int, TimeAmount, TimeAmount) =
                question.contains("[stream]") ? (40, .milliseconds(5), .milliseconds(5))
                : question.contains("[slow]") ? (60, .seconds(1), .milliseconds(50))
                : (8, .zero, .zero)
            let numbered = question.contains("[stream]")
            let loop = context.eventLoop
            let bound = NIOLoopBound((context: context, handler: self), eventLoop: loop)
            @Sendable func send(_ index: Int) {
                let (context, handler) = bound.value
                guard index < count else {
                    context.write(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "data: [DONE]\n\n")))), promise: nil)
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                    return
                }
                let text = numbered ? "§\(index)§ " : "word\(index) "
                let event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(text)\"}}]}\n\n"
                if numbered { provider.wrote(user, index) }
                context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: event)))), promise: nil)
                if every == .zero { send(index + 1) } else { loop.scheduleTask(in: every) { send(index + 1) } }
            }
            if first == .zero { send(0) } else { loop.scheduleTask(in: first) { send(0) } }
        }
    }
}

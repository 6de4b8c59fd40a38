import Foundation
import NIOCore
import NIOPosix

/// One visitor of a bot-first widget for the bot benchmark: its frames parsed and stamped with
/// the time they arrived, read in order by one task at a time (hence unchecked: it is handed to
/// that task, never shared).
final class BotVisitor: @unchecked Sendable {
    struct Frame: @unchecked Sendable {
        let at: ContinuousClock.Instant
        let json: [String: Any]
        var type: String { json["type"] as? String ?? "" }
    }

    let channel: any Channel
    private var frames: AsyncStream<Frame>.Iterator
    /// The visitor's id (from its welcome), to tell questions apart.
    private(set) var user = ""
    private var sent = 0
    /// The latest send, resent as it was when the server says `overloaded` (as the widget does).
    private var latest: String?

    private init(channel: any Channel, frames: AsyncStream<Frame>) {
        self.channel = channel
        self.frames = frames.makeAsyncIterator()
    }

    static func connect(group: any EventLoopGroup, host: String, port: Int, widgetKey: String) async throws -> BotVisitor {
        let (stream, continuation) = AsyncStream.makeStream(of: Frame.self)
        let channel = try await BenchSocket.connect(
            group: group, host: host, port: port, path: "/ws/visitor?key=\(widgetKey)", headers: [("Origin", "http://bench.local")]
        ) { buffer in
            let at = ContinuousClock.now
            guard let json = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] else { return }
            continuation.yield(Frame(at: at, json: json))
        }
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        let visitor = BotVisitor(channel: channel, frames: stream)
        BenchSocket.send(#"{"type":"hello","v":1}"#, on: channel)
        let welcome = try await visitor.next("welcome")
        visitor.user = (welcome.json["visitorId"] as? String ?? "").lowercased()
        return visitor
    }

    /// The next frame of `type` (others skipped).
    func next(_ type: String) async throws -> Frame {
        while let frame = await frames.next() {
            if frame.type == type { return frame }
            if frame.type == "error", frame.json["code"] as? String == "overloaded", let latest {
                try await Task.sleep(for: .milliseconds(frame.json["retryAfterMs"] as? Int ?? 200))
                BenchSocket.send(latest, on: channel)
                continue
            }
            if frame.type == "error" { throw BenchSocket.Refused(description: "error frame: \(frame.json)") }
        }
        throw BenchSocket.Refused(description: "the socket closed while waiting for \(type)")
    }

    /// The next frame of any type.
    func next() async -> Frame? {
        await frames.next()
    }

    /// Sends `text` as a new message; returns when it was sent.
    @discardableResult
    func send(_ text: String) -> ContinuousClock.Instant {
        sent += 1
        let json = try! JSONSerialization.data(withJSONObject: ["type": "send", "clientId": "b\(sent)", "text": text])
        let at = ContinuousClock.now
        latest = String(decoding: json, as: UTF8.self)
        BenchSocket.send(latest!, on: channel)
        return at
    }

    /// Hands every frame to `look` until the bot's stored answer (a `message` frame from the bot),
    /// which it returns. A visitor still waiting after `within` is closed, and this throws: a
    /// benchmark reports what went wrong rather than hang.
    @discardableResult
    func untilAnswered(within limit: Duration = .seconds(30), _ look: (Frame) -> Void) async throws -> Frame {
        let channel = self.channel
        let timer = Task {
            try await Task.sleep(for: limit)
            try? await channel.close()
        }
        defer { timer.cancel() }
        while let frame = await next() {
            look(frame)
            if frame.type == "message", (frame.json["message"] as? [String: Any])?["senderType"] as? String == "bot" { return frame }
            if frame.type == "error" { throw BenchSocket.Refused(description: "error frame: \(frame.json)") }
        }
        throw BenchSocket.Refused(description: "no answer from the bot within \(limit)")
    }
}

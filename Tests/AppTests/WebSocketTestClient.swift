import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import TestSupport

/// A WebSocket client for end-to-end tests, speaking the real protocol over TCP: JSON frames
/// in and out, with waits that fail a test instead of hanging it.
actor WebSocketTestClient {
    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    private var buffer: [WebSocketFrame] = []
    private var finished = false
    private var waiter: CheckedContinuation<WebSocketFrame?, any Error>?
    private var generation = 0
    private let outbound: AsyncStream<WebSocketFrame>.Continuation
    private var pump: Task<Void, Never>?
    private(set) var closeCode: WebSocketErrorCode?

    static func connect(port: Int, path: String, headers: [(String, String)] = []) async throws -> WebSocketTestClient {
        let upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 22) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                        }
                    }
                    var fields = HTTPHeaders([("Host", "127.0.0.1:\(port)"), ("Content-Length", "0")])
                    for (name, value) in headers { fields.add(name: name, value: value) }
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: fields)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { .refused } })
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // The server's first frame can come in the same read as its 101: keep those bytes (the
                    // default drops them, and the client then waits for a welcome it was sent).
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                }
            }
        guard case .websocket(let channel) = try await upgrade.get() else {
            throw TestSetupError("the server refused the WebSocket upgrade of \(path)")
        }
        return WebSocketTestClient(channel)
    }

    private init(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) {
        let (outboundStream, outbound) = AsyncStream.makeStream(of: WebSocketFrame.self)
        self.outbound = outbound
        Task { await self.start(channel, outboundStream) }
    }

    private func start(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, _ outboundStream: AsyncStream<WebSocketFrame>) {
        let outbound = self.outbound
        pump = Task {
            try? await channel.executeThenClose { reader, writer in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await frame in reader { await self.deliver(frame) }
                        } catch {}
                        await self.finish()
                    }
                    group.addTask {
                        for await frame in outboundStream {
                            do { try await writer.write(frame) } catch { break }
                        }
                    }
                    await group.next()
                    outbound.finish()
                    group.cancelAll()
                }
            }
        }
    }

    private func deliver(_ frame: WebSocketFrame) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: frame)
        } else {
            buffer.append(frame)
        }
    }

    private func finish() {
        finished = true
        waiter?.resume(returning: nil)
        waiter = nil
    }

    private func expire(_ expected: Int) {
        guard generation == expected, let waiter else { return }
        self.waiter = nil
        waiter.resume(throwing: TestSetupError("no frame arrived in time"))
    }

    private func nextFrame(timeout: Duration) async throws -> WebSocketFrame? {
        if !buffer.isEmpty { return buffer.removeFirst() }
        if finished { return nil }
        generation += 1
        let expected = generation
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(expected)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { waiter = $0 }
    }

    /// Sends `object` as a JSON text frame.
    func send(_ object: [String: any Sendable]) throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        sendText(String(decoding: data, as: UTF8.self))
    }

    func sendText(_ text: String) {
        send(opcode: .text, ByteBuffer(string: text))
    }

    func send(opcode: WebSocketOpcode, _ data: ByteBuffer) {
        outbound.yield(WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data))
    }

    /// The next JSON frame, or nil when the socket closed (see `closeCode`).
    /// How long a test waits for a frame: generous, as the suite starts dozens of live nodes at
    /// once on two cores.
    static let patience: Duration = .seconds(30)

    func next(timeout: Duration = WebSocketTestClient.patience) async throws -> JSONFrame? {
        guard let text = try await nextText(timeout: timeout) else { return nil }
        return JSONFrame(object: try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:])
    }

    /// The next text frame as sent, or nil when the socket closed (see `closeCode`).
    func nextText(timeout: Duration = WebSocketTestClient.patience) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let frame = try await nextFrame(timeout: max(deadline - .now, .milliseconds(1)))
            guard let frame else { return nil }
            switch frame.opcode {
            case .text:
                var data = frame.unmaskedData
                return data.readString(length: data.readableBytes) ?? ""
            case .connectionClose:
                var data = frame.unmaskedData
                closeCode = data.readWebSocketErrorCode()
                return nil
            default:
                continue
            }
        }
    }

    /// Skips frames until one of `type` arrives.
    func next(_ type: String, timeout: Duration = WebSocketTestClient.patience) async throws -> JSONFrame {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let frame = try await next(timeout: deadline - .now) else {
                throw TestSetupError("the socket closed (\(String(describing: closeCode))) before a \"\(type)\" frame")
            }
            if frame["type"] as? String == type { return frame }
        }
    }

    /// Skips frames until a `message` from `senderType` arrives; returns the message object.
    func nextMessage(from senderType: String, timeout: Duration = WebSocketTestClient.patience) async throws -> JSONFrame {
        let deadline = ContinuousClock.now + timeout
        while true {
            let frame = try await next("message", timeout: deadline - .now)
            if let message = frame["message"] as? [String: Any], message["senderType"] as? String == senderType {
                return JSONFrame(object: message)
            }
        }
    }

    func close() {
        outbound.yield(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer()))
        outbound.finish()
    }

    /// Drops the TCP connection without a close frame, as a crashed client would.
    func abort() {
        pump?.cancel()
    }
}

/// A received JSON frame (immutable once parsed, so safe to hand across tasks).
struct JSONFrame: @unchecked Sendable {
    let object: [String: Any]

    subscript(key: String) -> Any? { object[key] }
}

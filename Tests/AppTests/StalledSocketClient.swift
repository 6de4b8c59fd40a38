import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization

/// A WebSocket client that sends its upgrade and one frame, then reads nothing for a while — a
/// stalled consumer. Raw TCP with no async channel in the way, so "not reading" really means the
/// socket is not read: the server's writes pile up in the kernel and in its own buffer.
enum StalledSocketClient {
    /// The server's close frame: its code and reason.
    struct CloseFrame: Equatable {
        var code: UInt16
        var reason: String
    }

    /// Sends the upgrade (with `headers`) and `frame`, reads nothing until `stallUntil` returns,
    /// then reads until the server closes. Returns the bytes received, and the close frame they
    /// ended with (nil when the connection ended without one).
    static func run(port: Int, path: String, headers: [(String, String)], frame: String,
                    stallUntil resume: () async throws -> Void) async throws -> (received: Int, close: CloseFrame?) {
        let counter = ByteCounter()
        let channel = try await connect(port: port, path: path, headers: headers, frame: frame, counter: counter)
        try await resume()
        try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        channel.read()
        try await channel.closeFuture.get()
        let (total, tail) = counter.total.withLock { $0 }
        return (total, closeFrame(endingWith: tail))
    }

    /// The close frame (opcode 8, unmasked, a short payload) with which `bytes` end, if they do.
    static func closeFrame(endingWith bytes: [UInt8]) -> CloseFrame? {
        for start in stride(from: bytes.count - 4, through: 0, by: -1) where bytes[start] == 0x88 {
            let length = Int(bytes[start + 1])
            guard length < 126, start + 2 + length == bytes.count, length >= 2 else { continue }
            let code = UInt16(bytes[start + 2]) << 8 | UInt16(bytes[start + 3])
            return CloseFrame(code: code, reason: String(decoding: bytes[(start + 4)...], as: UTF8.self))
        }
        return nil
    }

    /// A connection that reads only when told to, after the upgrade request and `frame` went out.
    private static func connect(port: Int, path: String, headers: [(String, String)], frame: String,
                                counter: ByteCounter) async throws -> any Channel {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 16384)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        var buffer = ByteBuffer(string: request)
        let payload = Array(frame.utf8)
        let mask: [UInt8] = [1, 2, 3, 4]
        buffer.writeInteger(UInt8(0x81))
        if payload.count < 126 {
            buffer.writeInteger(UInt8(0x80 | payload.count))
        } else {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(payload.count))
        }
        buffer.writeBytes(mask)
        buffer.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await channel.writeAndFlush(buffer)
        return channel
    }

    /// Like `run`, but reads a little at a time without ever stopping (one read of at most the
    /// 16 KB receive buffer every `readEvery`) — a slow yet healthy consumer — until `until` bytes
    /// arrived, the server closed, or `timeout` passed. Returns the bytes and whether it closed.
    static func readSlowly(port: Int, path: String, headers: [(String, String)], frame: String, readEvery: Duration,
                           until: Int, timeout: Duration) async throws -> (received: Int, closedByServer: Bool) {
        let counter = ByteCounter()
        let channel = try await connect(port: port, path: path, headers: headers, frame: frame, counter: counter)
        let deadline = ContinuousClock.now + timeout
        while counter.total.withLock({ $0.count }) < until, channel.isActive, ContinuousClock.now < deadline {
            channel.read()
            try await Task.sleep(for: readEvery)
        }
        let closedByServer = !channel.isActive
        try? await channel.close()
        return (counter.total.withLock { $0.count }, closedByServer)
    }

    /// Counts the bytes received, keeping the last few (where a close frame would be).
    final class ByteCounter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let total = Mutex((count: 0, tail: [UInt8]()))

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            let bytes = buffer.readableBytesView
            total.withLock { total in
                total.count += bytes.count
                total.tail = Array((total.tail + bytes).suffix(256))
            }
        }
    }
}

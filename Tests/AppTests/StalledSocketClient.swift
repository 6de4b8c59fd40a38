import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization

/// A WebSocket client that sends its upgrade and one frame, then reads nothing for a while — a
/// stalled consumer. Raw TCP with no async channel in the way, so "not reading" really means the
/// socket is not read: the server's writes pile up in the kernel and in its own buffer.
enum StalledSocketClient {
    /// Sends the upgrade (with `headers`) and `frame`, stalls for `stall`, then reads until the
    /// server closes. Returns the bytes received.
    static func run(port: Int, path: String, headers: [(String, String)], frame: String, stall: Duration) async throws -> Int {
        let counter = ByteCounter()
        let channel = try await connect(port: port, path: path, headers: headers, frame: frame, counter: counter)
        try await Task.sleep(for: stall)
        try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        channel.read()
        try await channel.closeFuture.get()
        return counter.total.withLock { $0 }
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
        while counter.total.withLock({ $0 }) < until, channel.isActive, ContinuousClock.now < deadline {
            channel.read()
            try await Task.sleep(for: readEvery)
        }
        let closedByServer = !channel.isActive
        try? await channel.close()
        return (counter.total.withLock { $0 }, closedByServer)
    }

    final class ByteCounter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let total = Mutex(0)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data).readableBytes
            total.withLock { $0 += bytes }
        }
    }
}

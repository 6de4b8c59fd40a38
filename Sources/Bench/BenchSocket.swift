import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A load-generator WebSocket: NIO channel handlers only (no task per socket), so one process
/// holds thousands. Text frames go to `onText` as raw bytes (a load generator that decodes every
/// frame into a String spends its CPU on itself); pings are answered, as a browser does.
enum BenchSocket {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    static func connect(
        group: any EventLoopGroup, host: String, port: Int, path: String, headers: [(String, String)],
        onText: @escaping @Sendable (ByteBuffer) -> Void
    ) async throws -> any Channel {
        let upgraded = try await ClientBootstrap(group: group)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: 1 << 20) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(FrameHandler(onText: onText))
                            return true
                        }
                    }
                    var fields = HTTPHeaders([("Host", "\(host):\(port)"), ("Content-Length", "0")])
                    for (name, value) in headers { fields.add(name: name, value: value) }
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
                        upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: fields),
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(false) })
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // The server's first frame can come in the same read as its 101: keep those bytes (the
                    // default drops them, and the client then waits for a welcome it was sent).
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    let result = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                    return result.map { (channel, $0) }
                }
            }
        let (channel, accepted) = try await upgraded.get()
        guard accepted else {
            try? await channel.close()
            throw Refused(description: "the server refused the upgrade of \(path) (run it with KEFU_WS_UPGRADE_RATE_LIMIT=0 to open many sockets from one address)")
        }
        return channel
    }

    /// Sends `text` as a masked text frame (clients must mask).
    static func send(_ text: String, on channel: any Channel) {
        channel.writeAndFlush(frame(text), promise: nil)
    }

    static func frame(_ text: String) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
    }

    private final class FrameHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let onText: @Sendable (ByteBuffer) -> Void

        init(onText: @escaping @Sendable (ByteBuffer) -> Void) {
            self.onText = onText
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text:
                onText(frame.unmaskedData)
            case .ping:
                var payload = frame.unmaskedData
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(),
                                          data: payload.readSlice(length: payload.readableBytes) ?? ByteBuffer())
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            case .connectionClose:
                context.close(promise: nil)
            default:
                break
            }
        }
    }
}

extension ByteBuffer {
    /// Whether the readable bytes contain `needle` (no String is made).
    func contains(_ needle: StaticString) -> Bool {
        range(of: needle) != nil
    }

    /// Where `needle` first occurs in the readable bytes, as offsets from the reader index.
    func range(of needle: StaticString) -> Range<Int>? {
        let count = needle.utf8CodeUnitCount
        return withUnsafeReadableBytes { haystack -> Range<Int>? in
            guard let base = haystack.baseAddress, count > 0, haystack.count >= count else { return nil }
            let first = Int32(needle.utf8Start.pointee)
            var offset = 0
            // memchr to each candidate first byte, memcmp for the rest.
            while offset <= haystack.count - count,
                  let found = memchr(base + offset, first, haystack.count - count + 1 - offset) {
                let start = base.distance(to: UnsafeRawPointer(found))
                if memcmp(found, needle.utf8Start, count) == 0 { return start..<start + count }
                offset = start + 1
            }
            return nil
        }
    }

    var text: String { getString(at: readerIndex, length: readableBytes) ?? "" }
}

/// The resident set size of a process, in kilobytes, from /proc.
func residentKilobytes(pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
    return nil
}

/// Splits `http://host:port` or `ws://host:port` into host and port.
func hostAndPort(_ url: String) throws -> (String, Int) {
    guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
        throw BenchSocket.Refused(description: "\(url) is not like http://127.0.0.1:8080")
    }
    return (host, port)
}

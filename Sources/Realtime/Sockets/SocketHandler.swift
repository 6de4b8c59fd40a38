import NIOCore
import NIOWebSocket

/// The channel handler of an upgraded socket: answers pings, turns close frames and half-closes
/// into a closed channel, and hands complete text frames to the `LiveSocket`. Runs on the
/// channel's event loop and never blocks it.
final class SocketHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let socket: LiveSocket
    private let hub: Hub

    init(socket: LiveSocket, hub: Hub) {
        self.socket = socket
        self.hub = hub
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The upgrade happens on an active channel: register now.
        hub.register(socket)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            socket.received(data.readString(length: data.readableBytes) ?? "", maximumQueued: SocketLimits.maximumQueuedFrames)
        case .binary:
            socket.send(.error(ref: nil, .invalid("Frames are JSON text; binary frames are not accepted.")))
            socket.strike()
        case .ping:
            socket.touch()
            var payload = frame.unmaskedData
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: payload.readSlice(length: payload.readableBytes) ?? context.channel.allocator.buffer(capacity: 0))
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            socket.touch()
        case .connectionClose:
            socket.close(code: .normalClosure, reason: "")
        default:
            break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // Hummingbird allows half-closure: a peer's FIN arrives here, not as a close. A socket
            // that ignored it would stay open forever.
            context.close(promise: nil)
        } else if event is ChannelShouldQuiesceEvent {
            socket.quiesce()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A paced catch-up may be waiting for the buffer to drain.
        socket.roomMayHaveChanged()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        socket.closed()
        hub.unregister(socket)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            socket.close(code: .messageTooLarge, reason: "frame too large")
        } else {
            context.close(promise: nil)
        }
    }
}

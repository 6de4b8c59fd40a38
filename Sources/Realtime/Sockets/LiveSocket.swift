import Auth
import Foundation
import NIOCore
import NIOWebSocket
import Synchronization

/// One open WebSocket, visitor's or agent's. Small and fixed-size while idle: ids, a few
/// counters, and the delivery cursors of the conversations it follows. No task runs for it
/// until a frame arrives; then one drains its inbound frames in order and ends.
///
/// Outbound frames go straight to the NIO channel, whose buffer is bounded by its write
/// watermarks: a consumer that falls past the high watermark is told to reconnect and closed,
/// and resumes from its last `seq` later.
public final class LiveSocket: Sendable {
    public enum Role: Sendable {
        case visitor(tenantID: UUID, widgetID: UUID)
        case agent(Principal)
    }

    struct State {
        var inbound: [String] = []
        var draining = false
        var closed = false
        var lastActivity = ContinuousClock.now
        /// Malformed or refused frames in the current window; too many close the socket.
        var strikes = 0
        /// Per followed conversation: the last `seq` written to this socket.
        var cursors: [UUID: Int64] = [:]
        var visitorID: UUID?
        var conversationID: UUID?
        var sendAllowance = RateAllowance()
        var maxMessageBytes = 4096
        /// The queue position last sent, so only moves are pushed.
        var queuePosition: Int?
        /// The followed conversations as last seen (kept current by `Hub.changed`), so a send
        /// needs no read of its own.
        var snapshots: [UUID: Conversation] = [:]
        var typingAllowance = RateAllowance(burst: 3, perSecond: 1, tokens: 3)
        /// Conversations being caught up from the table, and those that found a new gap meanwhile.
        var catchingUp: Set<UUID> = []
        var catchUpAgain: Set<UUID> = []
    }

    let id: UInt64
    let role: Role
    let channel: any Channel
    let origin: ConnectionOrigin
    let state = Mutex(State())
    private let handler: Mutex<(any SocketSession)?> = Mutex(nil)

    init(id: UInt64, role: Role, channel: any Channel, origin: ConnectionOrigin) {
        self.id = id
        self.role = role
        self.channel = channel
        self.origin = origin
    }

    var tenantID: UUID {
        switch role {
        case .visitor(let tenantID, _): tenantID
        case .agent(let principal): principal.tenantID
        }
    }

    func attach(_ session: any SocketSession) {
        handler.withLock { $0 = session }
    }

    /// A text frame arrived (on the event loop): queue it, and start draining if idle.
    func received(_ text: String, maximumQueued: Int) {
        let start: Bool? = state.withLock { state in
            state.lastActivity = .now
            guard !state.closed else { return false }
            guard state.inbound.count < maximumQueued else { return nil }
            state.inbound.append(text)
            if state.draining { return false }
            state.draining = true
            return true
        }
        switch start {
        case nil:
            send(.error(ref: nil, .rateLimited))
            strike()
        case true?:
            guard let session = handler.withLock({ $0 }) else { return }
            Task { await self.drain(session) }
        case false?:
            break
        }
    }

    private func drain(_ session: any SocketSession) async {
        while let text = nextInbound() {
            do {
                let frame = try ClientFrame.decode(text)
                do {
                    try await session.handle(frame, on: self)
                } catch let error as RealtimeError {
                    send(.error(ref: frame.ref, error))
                    if case .invalid = error { strike() }
                } catch {
                    session.hub.logger.error("socket frame failed", metadata: ["type": "\(frame.type)", "error": "\(String(reflecting: error))"])
                    send(.error(ref: frame.ref, .overloaded))
                }
            } catch {
                send(.error(ref: nil, error))
                strike()
            }
        }
    }

    private func nextInbound() -> String? {
        state.withLock { state in
            guard !state.closed, !state.inbound.isEmpty else {
                state.draining = false
                return nil
            }
            return state.inbound.removeFirst()
        }
    }

    /// Counts a bad frame; a socket that keeps sending them is closed.
    func strike() {
        let tooMany = state.withLock { state in
            state.strikes += 1
            return state.strikes > SocketLimits.maximumStrikes
        }
        if tooMany { close(code: .policyViolation, reason: "too many invalid frames") }
    }

    func touch() {
        state.withLock { $0.lastActivity = .now }
    }

    /// Writes `frame` unless the socket is closed or its consumer has fallen behind.
    func send(_ frame: ServerFrame) {
        sendText(frame.json)
    }

    func sendText(_ text: String) {
        guard !state.withLock({ $0.closed }) else { return }
        guard channel.isWritable else {
            slowConsumer()
            return
        }
        write(text)
    }

    private func write(_ text: String) {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
    }

    func unfollow(_ conversationID: UUID) {
        state.withLock { state in
            state.cursors[conversationID] = nil
            state.snapshots[conversationID] = nil
        }
    }

    func remember(_ conversation: Conversation) {
        state.withLock { $0.snapshots[conversation.id] = conversation }
    }

    func snapshot(_ conversationID: UUID) -> Conversation? {
        state.withLock { $0.snapshots[conversationID] }
    }

    func cursor(_ conversationID: UUID) -> Int64? {
        state.withLock { $0.cursors[conversationID] }
    }

    enum Offer { case written, skipped, gap(after: Int64) }

    /// Writes `message` if it is the next one this socket needs from its conversation; a later
    /// one reports the gap to fill from the table first. Runs under the socket's lock, so the
    /// cursor moves with the write order.
    func offer(_ message: Message, encoded: String) -> Offer {
        let outcome: Offer = state.withLock { state in
            guard !state.closed, let cursor = state.cursors[message.conversationID] else { return .skipped }
            if message.seq <= cursor { return .skipped }
            if message.seq > cursor + 1 { return .gap(after: cursor) }
            guard channel.isWritable else { return .gap(after: -1) }
            state.cursors[message.conversationID] = message.seq
            write(encoded)
            return .written
        }
        if case .gap(after: -1) = outcome {
            slowConsumer()
            return .skipped
        }
        return outcome
    }

    /// Moves past a message this socket must not see (a note, for a visitor) as if written.
    func advance(past message: Message) -> Offer {
        state.withLock { state in
            guard !state.closed, let cursor = state.cursors[message.conversationID] else { return .skipped }
            if message.seq <= cursor { return .skipped }
            if message.seq > cursor + 1 { return .gap(after: cursor) }
            state.cursors[message.conversationID] = message.seq
            return .written
        }
    }

    private func slowConsumer() {
        close(code: .init(codeNumber: 4008), reason: "slow consumer: reconnect and resume from your last seq")
    }

    /// Sends a close frame and closes the channel; further frames are dropped.
    func close(code: WebSocketErrorCode, reason: String) {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        var buffer = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        buffer.write(webSocketErrorCode: code)
        buffer.writeString(reason)
        let channel = self.channel
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer)).whenComplete { _ in
            channel.close(promise: nil)
        }
        // A peer that stopped reading never lets the close frame out: close regardless, soon.
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }

    /// The channel has closed (either side): stop queueing frames.
    func closed() {
        state.withLock { state in
            state.closed = true
            state.inbound.removeAll()
        }
    }
}

/// Where a socket connected from: recorded on visitors and in audit-relevant logs.
public struct ConnectionOrigin: Sendable {
    public var ip: String
    public var userAgent: String
    public var origin: String?

    public init(ip: String, userAgent: String, origin: String?) {
        self.ip = ip
        self.userAgent = userAgent
        self.origin = origin
    }
}

/// What handles a socket's frames once its role is known.
protocol SocketSession: Sendable {
    var hub: Hub { get }
    func handle(_ frame: ClientFrame, on socket: LiveSocket) async throws
}

/// A token bucket: `burst` at once, refilled at `perSecond`.
struct RateAllowance {
    var burst: Double = SocketLimits.sendBurst
    var perSecond: Double = SocketLimits.sendsPerSecond
    var tokens: Double = SocketLimits.sendBurst
    var updated = ContinuousClock.now

    mutating func take(now: ContinuousClock.Instant = .now) -> Bool {
        let elapsed = now - updated
        updated = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * perSecond)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// Fixed per-socket bounds.
enum SocketLimits {
    static let maximumStrikes = 10
    static let maximumQueuedFrames = 64
    static let sendBurst: Double = 20
    static let sendsPerSecond: Double = 10
}

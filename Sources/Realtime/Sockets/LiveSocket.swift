import Auth
import Foundation
import NIOCore
import NIOWebSocket
import Synchronization

/// One open WebSocket, visitor's or agent's. Small and fixed-size while idle: ids, a few
/// counters, and the delivery cursors of the conversations it follows. No task runs for it
/// until a frame arrives; then one (a job of the hub's `BackgroundWork`, reached through the
/// session rather than stored here) drains its inbound frames in order and ends.
///
/// Outbound frames queue here and reach the NIO channel through the loop's `OutboundFlusher`
/// (many frames per hop and per flush). Both the queue and the channel's buffer are bounded:
/// a consumer that falls past either is told to reconnect and closed, and resumes from its
/// last `seq` later.
public final class LiveSocket: Sendable {
    public enum Role: Sendable {
        case visitor(tenantID: UUID, widgetID: UUID)
        case agent(Principal)
    }

    struct State {
        var inbound: [String] = []
        var draining = false
        /// Which drain owns the inbound queue: a frame past its deadline hands it to a new one.
        var drainGeneration: UInt64 = 0
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
        /// Read receipts write the conversation and notify every node: bounded apart from sends.
        var readAllowance = RateAllowance(burst: 10, perSecond: 5, tokens: 10)
        /// Conversations being caught up from the table (see `Hub.catchUp`).
        var catchUps: [UUID: CatchUpRun] = [:]
        /// Bulk writers waiting for room (see `waitForRoom`), woken when it may have come.
        var roomWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var lastRoomWaiter: UInt64 = 0
        /// Frames waiting for the flusher, their size, and whether it has been asked.
        var outbound: [String] = []
        var outboundBytes = 0
        var flushRequested = false
        /// Set by `close`: sent after the frames queued before it.
        var closeFrame: (code: WebSocketErrorCode, reason: String)?
    }

    let id: UInt64
    let role: Role
    let channel: any Channel
    let origin: ConnectionOrigin
    let state = Mutex(State())
    private let handler: Mutex<(any SocketSession)?> = Mutex(nil)
    private let flusher: OutboundFlusher

    init(id: UInt64, role: Role, channel: any Channel, origin: ConnectionOrigin, flusher: OutboundFlusher) {
        self.id = id
        self.role = role
        self.channel = channel
        self.origin = origin
        self.flusher = flusher
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

    /// A text frame arrived (on the event loop): queue it, and start draining if idle — unless
    /// the session refuses it at once (a send its writer shard would refuse anyway).
    func received(_ text: String, maximumQueued: Int) {
        let session = handler.withLock { $0 }
        if let refused = session?.refusalOnArrival(text, on: self) {
            state.withLock { $0.lastActivity = .now }
            send(.error(ref: refused.ref, refused.1))
            return
        }
        let start: UInt64?? = state.withLock { state in
            state.lastActivity = .now
            guard !state.closed else { return .some(nil) }
            guard state.inbound.count < maximumQueued else { return nil }
            state.inbound.append(text)
            if state.draining { return .some(nil) }
            state.draining = true
            return state.drainGeneration
        }
        switch start {
        case nil:
            // Refused unread, but with its ref when it has one, so the client can fail that request.
            send(.error(ref: FrameFields.readableRef(text), .rateLimited))
            strike()
        case let generation??:
            guard let session else { return }
            startDrain(session, generation: generation)
        case .some(nil):
            break
        }
    }

    private func startDrain(_ session: any SocketSession, generation: UInt64) {
        // Refused only while the node stops: then the client goes to another node.
        if !session.hub.background.spawn({ await self.drain(session, generation: generation) }) { quiesce() }
    }

    private func drain(_ session: any SocketSession, generation: UInt64) async {
        let watchdog = session.hub.watchdog
        while let text = nextInbound() {
            let frame: FrameFields
            do { frame = try FrameFields.decode(text) } catch {
                send(.error(ref: error.ref, error.problem))
                strike()
                continue
            }
            let watch = watchdog.watch(within: SocketLimits.frameDeadline) { [self] in self.abandon(frame, generation: generation, session: session) }
            let outcome: Result<Void, any Error>
            do { try await session.handle(frame, on: self); outcome = .success(()) } catch { outcome = .failure(error) }
            // Past its deadline the frame was answered `unavailable` and a new drain took over.
            guard watchdog.finish(watch) else { return }
            switch outcome {
            case .success: break
            case .failure(let error as RealtimeError):
                send(.error(ref: frame.ref, error))
                if case .invalid = error { strike() }
            case .failure(let error):
                session.hub.logger.error("socket frame failed", metadata: ["type": "\(frame.type)", "error": "\(String(reflecting: error))"])
                send(.error(ref: frame.ref, .unavailable))
            }
        }
    }

    /// The frame a drain is handling outlived `SocketLimits.frameDeadline` (the hub's watchdog
    /// says so): it is answered `unavailable`, and a new drain takes the frames queued behind it.
    /// The handling runs on until it ends — postgres-nio can leave a round trip unanswered for
    /// good, and a socket must never wedge behind one — and its drain then stops.
    private func abandon(_ frame: FrameFields, generation: UInt64, session: any SocketSession) {
        let next: UInt64? = state.withLock { state in
            guard state.drainGeneration == generation else { return nil }
            state.drainGeneration &+= 1
            return state.drainGeneration
        }
        guard let next else { return }
        session.hub.logger.warning("socket frame unanswered within its deadline", metadata: ["type": "\(frame.type)"])
        send(.error(ref: frame.ref, .unavailable))
        startDrain(session, generation: next)
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
        let outcome: Enqueued = state.withLock { state in
            guard !state.closed else { return .dropped }
            return enqueue(text, in: &state)
        }
        settle(outcome)
    }

    enum Enqueued { case queued, queuedFirst, dropped, full }

    /// Queues `text` unless the consumer is behind; runs under the socket's lock. A paced writer
    /// (`waitForRoom` before each frame) has checked the channel itself, and while one runs the
    /// channel is full on purpose: live frames then wait in the queue, bounded by its cap.
    private func enqueue(_ text: String, in state: inout State, paced: Bool = false) -> Enqueued {
        guard paced || channel.isWritable || !state.catchUps.isEmpty,
              state.outboundBytes < SocketLimits.maximumQueuedBytes else { return .full }
        state.outbound.append(text)
        state.outboundBytes += text.utf8.count
        if state.flushRequested { return .queued }
        state.flushRequested = true
        return .queuedFirst
    }

    /// After the lock: ask the flusher, or close a consumer that fell behind.
    private func settle(_ outcome: Enqueued) {
        switch outcome {
        case .queuedFirst: flusher.schedule(self)
        case .full: slowConsumer()
        case .queued, .dropped: break
        }
    }

    /// On the event loop (from the flusher): writes the queued frames in order, flushes once,
    /// and sends the close frame if one was asked for.
    func writeQueued() {
        let (frames, closeFrame) = state.withLock { state in
            state.flushRequested = false
            state.outboundBytes = 0
            var frames: [String] = []
            swap(&frames, &state.outbound)
            defer { state.closeFrame = nil }
            return (frames, state.closeFrame)
        }
        // After the writes: the channel's writability is then what a waiting writer should see.
        defer { if !frames.isEmpty { roomMayHaveChanged() } }
        for text in frames {
            var buffer = channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            channel.write(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
        }
        guard let closeFrame else {
            channel.flush()
            return
        }
        var buffer = channel.allocator.buffer(capacity: 2 + closeFrame.reason.utf8.count)
        buffer.write(webSocketErrorCode: closeFrame.code)
        buffer.writeString(closeFrame.reason)
        let channel = self.channel
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer)).whenComplete { _ in
            channel.close(promise: nil)
        }
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
    func offer(_ message: Message, encoded: String, paced: Bool = false) -> Offer {
        let (outcome, enqueued): (Offer, Enqueued) = state.withLock { state in
            guard !state.closed, let cursor = state.cursors[message.conversationID] else { return (.skipped, .dropped) }
            if message.seq <= cursor { return (.skipped, .dropped) }
            if message.seq > cursor + 1 { return (.gap(after: cursor), .dropped) }
            let enqueued = enqueue(encoded, in: &state, paced: paced)
            if case .full = enqueued { return (.skipped, enqueued) }
            state.cursors[message.conversationID] = message.seq
            return (.written, enqueued)
        }
        settle(enqueued)
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

    /// For bulk writers (a catch-up): waits until the socket's backlog is small again, so a slow
    /// but healthy client is paced rather than closed. False when the consumer made no room
    /// within `patience` (or the socket closed): it is then a slow consumer after all. Room
    /// means a writable channel — its buffer drained from the high watermark to the low one,
    /// 224 KiB — so the slowest reader kept is about 22 KB/s.
    func waitForRoom(patience: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + patience
        while true {
            let (closed, room) = state.withLock { ($0.closed, hasRoom($0)) }
            // Cancelled (the node's grace period ran out): waiting would spin until the deadline.
            if closed || Task.isCancelled { return false }
            if room { return true }
            if ContinuousClock.now >= deadline { return false }
            await roomMayChange(until: deadline)
        }
    }

    private func hasRoom(_ state: State) -> Bool {
        channel.isWritable && state.outboundBytes < SocketLimits.bulkBacklogBytes
    }

    /// Returns when the channel's writability changed, the queue was written out, the socket
    /// closed, or `deadline` passed — no polling.
    private func roomMayChange(until deadline: ContinuousClock.Instant) async {
        let id = state.withLock { state in
            state.lastRoomWaiter += 1
            return state.lastRoomWaiter
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let parked = self.state.withLock { state in
                            // Room came (or the deadline task finished) before we parked: go on.
                            guard !state.closed, !self.hasRoom(state), !Task.isCancelled else { return false }
                            state.roomWaiters[id] = continuation
                            return true
                        }
                        if !parked { continuation.resume() }
                    }
                } onCancel: {
                    self.state.withLock { $0.roomWaiters.removeValue(forKey: id) }?.resume()
                }
            }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Room may have come: wakes every bulk writer waiting for it, to look again.
    func roomMayHaveChanged() {
        let waiters = state.withLock { state in
            defer { state.roomWaiters.removeAll() }
            return Array(state.roomWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    func slowConsumer() {
        let wasOpen = state.withLock { !$0.closed }
        close(code: .init(codeNumber: 4008), reason: "slow consumer: reconnect and resume from your last seq")
        // Worth an operator's notice: a client (or its network) that cannot keep up.
        if wasOpen { handler.withLock { $0 }?.hub.logger.notice("closed a slow consumer", metadata: ["socket": "\(id)"]) }
    }

    /// Graceful shutdown: asks the client to reconnect (to another node) and closes with 1012.
    func quiesce() {
        send(.reconnect(reason: "shutdown"))
        close(code: .init(codeNumber: 1012), reason: "server restarting")
    }

    /// Sends a close frame after the frames already queued and closes the channel; further
    /// frames are dropped.
    func close(code: WebSocketErrorCode, reason: String) {
        let (first, schedule) = state.withLock { state in
            defer { state.closed = true }
            guard !state.closed else { return (false, false) }
            state.closeFrame = (code, reason)
            defer { state.flushRequested = true }
            return (true, !state.flushRequested)
        }
        guard first else { return }
        if schedule { flusher.schedule(self) }
        // A peer that stopped reading never lets the close frame out: close regardless, soon.
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }

    /// The channel has closed (either side): stop queueing frames.
    func closed() {
        state.withLock { state in
            state.closed = true
            state.inbound.removeAll()
            state.outbound.removeAll()
            state.outboundBytes = 0
            state.closeFrame = nil
        }
        roomMayHaveChanged()
    }
}

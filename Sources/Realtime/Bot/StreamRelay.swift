import Foundation
import Synchronization

/// Carries one bot answer's pieces to the conversation's followers on the other nodes (a visitor
/// with a tab on each node behind a balancer, agents watching from anywhere), in order: one
/// NOTIFY in flight at a time, and whatever arrives meanwhile travels with the next, so a fast
/// provider costs no more notifications than the database can answer. `finish()` waits until all
/// of it has gone out, so the stored answer's own announcement always comes after its pieces.
/// A node that has heard from no other lately relays nothing.
final class StreamRelay: Sendable {
    private struct State {
        /// Text not yet announced and the scalar offset of its first character.
        var pending: (offset: Int, text: String)?
        var withdrawn: String?
        var sending = false
        var idle: [CheckedContinuation<Void, Never>] = []
    }

    /// What one notification may hold of an answer's text, in UTF-8 bytes: base64 makes it
    /// 6,000, under PostgreSQL's 8,000-byte payload limit with room for the ids.
    static let pieceBytes = 4_500

    private let event: @Sendable (_ offset: Int, _ text: String) -> FanoutEvent
    private let withdrawal: @Sendable (_ reason: String) -> FanoutEvent
    private let background: BackgroundWork
    private let announce: @Sendable (String) async -> Void
    /// Whether another node would hear a relay (see `OtherNodes`).
    private let anyoneListening: @Sendable () -> Bool
    private let state = Mutex(State())

    init(tenantID: UUID, conversationID: UUID, streamID: String, hub: Hub) {
        let node = hub.nodeID
        event = { offset, text in
            .botDelta(node: node, tenantID: tenantID, conversationID: conversationID, streamID: streamID, offset: offset, delta: text)
        }
        withdrawal = { reason in
            .botWithdrawn(node: node, tenantID: tenantID, conversationID: conversationID, streamID: streamID, reason: reason)
        }
        background = hub.background
        announce = { payload in await hub.notifyOtherNodes(payload) }
        anyoneListening = { hub.otherNodes.anyListening() }
    }

    /// `text` was shown here, starting at scalar `offset` of the answer.
    func shown(offset: Int, text: String) {
        guard anyoneListening() else { return }
        let start = state.withLock { state in
            if let pending = state.pending {
                state.pending = (pending.offset, pending.text + text)
            } else {
                state.pending = (offset, text)
            }
            return claimSender(&state)
        }
        if start { spawnSender() }
    }

    /// What was shown of the answer is withdrawn (after every piece already on its way).
    func withdraw(reason: String) {
        guard anyoneListening() else { return }
        let start = state.withLock { state in
            state.withdrawn = reason
            return claimSender(&state)
        }
        if start { spawnSender() }
    }

    /// Returns once everything given so far has been announced (or could not be).
    func finish() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state in
                guard state.sending else { return true }
                state.idle.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Whether the caller is to start the sender: nobody is sending yet.
    private func claimSender(_ state: inout State) -> Bool {
        guard !state.sending else { return false }
        state.sending = true
        return true
    }

    private func spawnSender() {
        guard !background.spawn({ await self.send() }) else { return }
        // Shutting down: nothing goes out, and nobody waits for it.
        let waiting = state.withLock { state in
            state.pending = nil
            state.withdrawn = nil
            state.sending = false
            defer { state.idle = [] }
            return state.idle
        }
        for continuation in waiting { continuation.resume() }
    }

    private func send() async {
        while true {
            let (pending, withdrawn, waiting) = state.withLock { state in
                let next = (state.pending, state.withdrawn, [CheckedContinuation<Void, Never>]())
                state.pending = nil
                state.withdrawn = nil
                guard next.0 == nil && next.1 == nil else { return next }
                state.sending = false
                defer { state.idle = [] }
                return (nil, nil, state.idle)
            }
            if pending == nil && withdrawn == nil {
                for continuation in waiting { continuation.resume() }
                return
            }
            if let pending {
                for (offset, piece) in Self.pieces(of: pending.text, from: pending.offset) {
                    await announce(event(offset, piece).payload)
                }
            }
            if let withdrawn { await announce(withdrawal(withdrawn).payload) }
        }
    }

    /// `text` in pieces of at most `pieceBytes` UTF-8 bytes, each with its scalar offset.
    static func pieces(of text: String, from offset: Int) -> [(offset: Int, text: String)] {
        var pieces: [(Int, String)] = []
        var current = String.UnicodeScalarView()
        var bytes = 0
        var start = offset
        for scalar in text.unicodeScalars {
            let size = UTF8.width(scalar)
            if bytes + size > pieceBytes {
                pieces.append((start, String(current)))
                start += current.count
                current = String.UnicodeScalarView()
                bytes = 0
            }
            current.append(scalar)
            bytes += size
        }
        if !current.isEmpty { pieces.append((start, String(current))) }
        return pieces
    }
}

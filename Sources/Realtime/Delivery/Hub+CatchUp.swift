import Foundation

/// Catch-ups: what a socket lacks of a conversation, read from the table and written in order,
/// one run per socket and conversation (see `CatchUpRun`).
extension Hub {
    /// Reads from the table everything `socket` lacks of a conversation and writes it in order;
    /// returns once that is written (or the socket is gone). One run per socket and conversation
    /// does the reading; a request that finds one at work joins it (see `CatchUpRun`).
    func catchUp(_ socket: LiveSocket, tenantID: UUID, conversationID: UUID) async {
        let joined: Bool = await withCheckedContinuation { continuation in
            let running = socket.state.withLock { state in
                guard state.catchUps[conversationID] != nil else {
                    state.catchUps[conversationID] = CatchUpRun()
                    return false
                }
                state.catchUps[conversationID]?.join(continuation)
                return true
            }
            if !running { continuation.resume(returning: false) }
        }
        if joined { return }
        var more = true
        while more {
            more = await catchUpPass(socket, tenantID: tenantID, conversationID: conversationID)
            // Decided under the lock that requests join under: a request is served by a pass
            // that started after it, or makes the run go round once more.
            let served = socket.state.withLock { state -> [CheckedContinuation<Bool, Never>] in
                guard var run = state.catchUps[conversationID] else { return [] }
                if more && !state.closed || run.again && !state.closed {
                    more = true
                    let served = run.served()
                    state.catchUps[conversationID] = run
                    return served
                }
                more = false
                state.catchUps[conversationID] = nil
                return run.waiters.map(\.continuation)
            }
            for waiter in served { waiter.resume(returning: true) }
        }
    }

    /// One pass: up to a page of what `socket` lacks, written paced to its reader.
    /// - Returns: whether a full page was written (more may follow).
    private func catchUpPass(_ socket: LiveSocket, tenantID: UUID, conversationID: UUID) async -> Bool {
        let cursor = socket.state.withLock { state -> Int64? in
            state.catchUps[conversationID]?.startPass()
            return state.closed ? nil : state.cursors[conversationID]
        }
        guard let cursor else { return false }
        let page: [Message]
        do {
            page = try await database.withTenant(tenantID) { tx in
                try await MessageLog.after(cursor, conversationID: conversationID, limit: 200, in: tx)
            }
        } catch {
            logger.warning("catch-up read failed", metadata: ["conversation": "\(conversationID)", "error": "\(error)"])
            return false
        }
        for message in page {
            // Paced: a client reading slowly gets its history as fast as it reads it.
            guard await socket.waitForRoom() else {
                socket.slowConsumer()
                return false
            }
            if case .gap = offer(message, encoded: ServerFrame.message(message).json, to: socket, paced: true) { break }
        }
        let progressed = socket.cursor(conversationID).map { $0 > cursor } ?? false
        return progressed && page.count == 200
    }

    /// After a listener reconnect: anything announced while it was away is read from the table.
    func catchUpAll() async {
        let followed: [(UUID, UUID, LiveSocket)] = registry.withLock { registry in
            registry.followers.flatMap { conversationID, sockets in sockets.values.map { ($0.tenantID, conversationID, $0) } }
        }
        for (tenantID, conversationID, socket) in followed {
            await catchUp(socket, tenantID: tenantID, conversationID: conversationID)
        }
    }

}

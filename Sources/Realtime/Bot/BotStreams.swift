import Foundation
import Synchronization

/// The bot answers being written on this node, by conversation, so that a person taking the
/// conversation over stops its bot at once (`Hub.changed` sees every status change, from any
/// node). One answer per conversation at a time.
final class BotStreams: Sendable {
    private let running = Mutex<[UUID: (token: UUID, task: Task<Void, Never>)]>([:])
    /// Conversations whose visitor wrote while their answer was being written: the running task
    /// looks again before it ends.
    private let pending = Mutex(Set<UUID>())

    /// Runs `work` for `conversationID` unless an answer is already being written there.
    /// - Returns: whether `work` was started.
    @discardableResult
    func start(_ conversationID: UUID, _ work: @escaping @Sendable () async -> Void) -> Bool {
        running.withLock { running in
            guard running[conversationID] == nil else {
                pending.withLock { _ = $0.insert(conversationID) }
                return false
            }
            let token = UUID()
            running[conversationID] = (token, Task {
                await work()
                self.finished(conversationID, token: token, work)
            })
            return true
        }
    }

    /// Cancels the answer being written for `conversationID`, if any.
    func stop(_ conversationID: UUID) {
        let entry = running.withLock { $0.removeValue(forKey: conversationID) }
        entry?.task.cancel()
    }

    /// Whether a visitor wrote since the last look (and forgets it).
    func takePending(_ conversationID: UUID) -> Bool {
        pending.withLock { $0.remove(conversationID) != nil }
    }

    func isRunning(_ conversationID: UUID) -> Bool {
        running.withLock { $0[conversationID] != nil }
    }

    /// The task ended (not stopped): a visitor message that came as it was ending starts it again.
    private func finished(_ conversationID: UUID, token: UUID, _ work: @escaping @Sendable () async -> Void) {
        let ended = running.withLock { running in
            guard running[conversationID]?.token == token else { return false }
            running[conversationID] = nil
            return true
        }
        if ended, takePending(conversationID) { start(conversationID, work) }
    }
}

import Foundation
import Synchronization

/// The bot answers being written on this node, by conversation, so that a person taking the
/// conversation over stops its bot at once (`Hub.changed` sees every status change, from any
/// node). One answer per conversation at a time.
final class BotStreams: Sendable {
    private let running = Mutex<[UUID: (token: UUID, task: Task<Void, Never>)]>([:])

    /// Runs `work` for `conversationID` unless an answer is already being written there.
    /// - Returns: whether `work` was started.
    @discardableResult
    func start(_ conversationID: UUID, _ work: @escaping @Sendable () async -> Void) -> Bool {
        running.withLock { running in
            guard running[conversationID] == nil else { return false }
            let token = UUID()
            running[conversationID] = (token, Task {
                await work()
                self.finished(conversationID, token: token)
            })
            return true
        }
    }

    /// Cancels the answer being written for `conversationID`, if any.
    func stop(_ conversationID: UUID) {
        let entry = running.withLock { $0.removeValue(forKey: conversationID) }
        entry?.task.cancel()
    }

    func isRunning(_ conversationID: UUID) -> Bool {
        running.withLock { $0[conversationID] != nil }
    }

    private func finished(_ conversationID: UUID, token: UUID) {
        running.withLock { running in
            if running[conversationID]?.token == token { running[conversationID] = nil }
        }
    }
}

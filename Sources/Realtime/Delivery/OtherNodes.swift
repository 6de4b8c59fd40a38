import Synchronization

/// The other nodes this one has heard from lately (their `n` announcements, or any event they
/// sent): a bot answer's pieces are relayed only while someone could hear them, so a node
/// serving alone spends no NOTIFY on each piece of every answer.
final class OtherNodes: Sendable {
    /// How long a node counts as listening after it was last heard: three of its 10 s announcements.
    static let forgetAfter: Duration = .seconds(35)

    private let lastHeard = Mutex([String: ContinuousClock.Instant]())

    /// Notes that `node` was heard now; true when it was not known (or had been forgotten), so the
    /// caller answers with its own announcement and the newcomer learns of it at once.
    @discardableResult
    func heard(from node: String, at now: ContinuousClock.Instant = .now) -> Bool {
        lastHeard.withLock { lastHeard in
            let known = lastHeard[node].map { now - $0 < Self.forgetAfter } ?? false
            lastHeard[node] = now
            if lastHeard.count > 64 { lastHeard = lastHeard.filter { now - $0.value < Self.forgetAfter } }
            return !known
        }
    }

    /// Whether any other node was heard within `forgetAfter`.
    func anyListening(at now: ContinuousClock.Instant = .now) -> Bool {
        lastHeard.withLock { lastHeard in lastHeard.values.contains { now - $0 < Self.forgetAfter } }
    }
}

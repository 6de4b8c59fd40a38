import ServiceLifecycle
import Synchronization

/// Bounds how long one inbound frame may hold its socket's queue, with one clock for the whole
/// node instead of a timer per frame. A socket's drain registers each frame it starts handling
/// and finishes the watch when the handling returns; a watch still open at its deadline expires:
/// the socket answers that frame `unavailable` (its client resends, with the same client id for a
/// send) and a new drain takes the frames behind it. The handling itself runs on until it ends —
/// postgres-nio can leave a round trip unanswered for good, and a socket must never wedge behind
/// one — and its drain then stops, as the new one has taken over.
///
/// A watch costs two lock round trips and no task; the watchdog looks at the open watches four
/// times a second.
final class FrameWatchdog: Service, Sendable {
    /// Beyond the writer's round-trip deadline (5 s) and its one retry (within 2.5 s of the start).
    static let limit: Duration = .seconds(8)

    private struct Watch {
        let deadline: ContinuousClock.Instant
        let expire: @Sendable () -> Void
    }

    private let watches = Mutex<(next: UInt64, open: [UInt64: Watch])>((0, [:]))
    private let tick: Duration

    init(tick: Duration = .milliseconds(250)) {
        self.tick = tick
    }

    /// Starts a watch: `expire` runs once, from the watchdog, unless `finish` comes first.
    func watch(within limit: Duration = limit, expire: @escaping @Sendable () -> Void) -> UInt64 {
        let deadline = ContinuousClock.now + limit
        return watches.withLock { watches in
            watches.next &+= 1
            watches.open[watches.next] = Watch(deadline: deadline, expire: expire)
            return watches.next
        }
    }

    /// Ends a watch.
    /// - Returns: false when it had expired already (its `expire` has run, or is running).
    func finish(_ token: UInt64) -> Bool {
        watches.withLock { $0.open.removeValue(forKey: token) != nil }
    }

    /// How many watches are open (frames being handled on this node).
    var openCount: Int { watches.withLock { $0.open.count } }

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.tick) }
            } catch {
                return
            }
            expireOverdue(at: .now)
        }
    }

    /// Expires every watch whose deadline is before `now`.
    func expireOverdue(at now: ContinuousClock.Instant) {
        let overdue = watches.withLock { watches in
            let expired = watches.open.filter { $0.value.deadline <= now }
            for token in expired.keys { watches.open[token] = nil }
            return Array(expired.values)
        }
        for watch in overdue { watch.expire() }
    }
}

import ServiceLifecycle
import Synchronization

/// Deadlines for many short pieces of work with one clock instead of a timer each: the work
/// registers a watch as it starts and finishes it when done; a watch still open at its deadline
/// expires, and its `expire` runs (once, from the watchdog's loop). A watch costs two lock round
/// trips and no task; the loop looks at the open watches every `tick`.
///
/// Used for a database round trip (`Database.withConnection(for:deadline:)`, run by the pool's
/// service) and for a socket's frame (Realtime's hub, run as its own service).
public final class Watchdog: Service, Sendable {
    private struct Watch {
        let deadline: ContinuousClock.Instant
        let expire: @Sendable () -> Void
    }

    private let watches = Mutex<(next: UInt64, open: [UInt64: Watch])>((0, [:]))
    private let tick: Duration

    /// `tick`: how late past its deadline a watch may expire.
    public init(tick: Duration) {
        self.tick = tick
    }

    /// Starts a watch: `expire` runs once, from the watchdog, unless `finish` comes first.
    public func watch(within limit: Duration, expire: @escaping @Sendable () -> Void) -> UInt64 {
        let deadline = ContinuousClock.now + limit
        return watches.withLock { watches in
            watches.next &+= 1
            watches.open[watches.next] = Watch(deadline: deadline, expire: expire)
            return watches.next
        }
    }

    /// Ends a watch.
    /// - Returns: false when it had expired already (its `expire` has run, or is running).
    @discardableResult
    public func finish(_ token: UInt64) -> Bool {
        watches.withLock { $0.open.removeValue(forKey: token) != nil }
    }

    /// How many watches are open.
    public var openCount: Int { watches.withLock { $0.open.count } }

    /// Expires overdue watches every `tick` until graceful shutdown or cancellation.
    public func run() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.tick) }
            } catch {
                return
            }
            expireOverdue(at: .now)
        }
    }

    /// Expires every watch whose deadline is not after `now`.
    public func expireOverdue(at now: ContinuousClock.Instant) {
        let overdue = watches.withLock { watches in
            let expired = watches.open.filter { $0.value.deadline <= now }
            for token in expired.keys { watches.open[token] = nil }
            return Array(expired.values)
        }
        for watch in overdue { watch.expire() }
    }
}

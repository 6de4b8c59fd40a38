import Logging
import PostgresNIO
import Synchronization

/// What holds one of the pool's connections, for `/metrics`: request transactions, the message
/// writer's batches, the fan-out listener, and the short NOTIFYs of ephemeral relays.
public enum ConnectionHolder: String, Sendable, CaseIterable {
    case request
    case writer
    case listener
    case notify
}

/// Counts of connections lent out, per holder.
final class ConnectionHolders: Sendable {
    private let counts = Mutex([ConnectionHolder: Int]())

    func add(_ holder: ConnectionHolder) { counts.withLock { $0[holder, default: 0] += 1 } }
    func remove(_ holder: ConnectionHolder) { counts.withLock { $0[holder, default: 0] -= 1 } }

    func snapshot() -> [ConnectionHolder: Int] {
        counts.withLock { counts in
            Dictionary(uniqueKeysWithValues: ConnectionHolder.allCases.map { ($0, counts[$0] ?? 0) })
        }
    }
}

extension Database {
    /// Runs `body` on a pooled connection with no tenant set, giving up after `deadline`: a lease
    /// still waiting is cancelled, and a connection still in use is closed so its round trip fails
    /// at once (the pool replaces it). Without a deadline a round trip on a connection that died
    /// silently (PostgreSQL restarted, a network path lost) can wait forever, and everything
    /// queued behind it with it.
    ///
    /// The body must not start a query once its connection is closed (check `isClosed` before a
    /// ROLLBACK after an error): postgres-nio never answers a query written to a closed channel.
    ///
    /// Internal: serving code reaches it only through the named exceptions to `withTenant`, the
    /// multi-tenant batch append (`withAppendTransaction`) and `notify`.
    /// - Throws: `DatabaseError.deadlineExceeded` when the deadline passed, else `body`'s error.
    func withConnection<Result: Sendable>(
        for holder: ConnectionHolder, deadline: Duration,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let race = DeadlineRace<Result>()
        // Unstructured on purpose: a query written to a connection that closed under it is never
        // answered by postgres-nio, and a caller waiting for such work would wait forever. The
        // caller waits for the race instead; the work ends when its query fails (or leaks one
        // lease in that rare case, instead of stalling its caller). One task a round trip: the
        // work answers the race itself, and the deadline is a watch of the pool's watchdog.
        let work = Task {
            do {
                let result = try await self.client.withConnection { connection in
                    // The deadline passed while the lease waited: its senders have their answer.
                    guard race.hold(connection) else { throw DatabaseError.deadlineExceeded(deadline) }
                    self.holders.add(holder)
                    defer {
                        race.release()
                        self.holders.remove(holder)
                    }
                    try DatabaseError.checkOpen(connection)
                    return try await body(connection)
                }
                race.finish(.success(result))
            } catch {
                race.finish(.failure(error))
            }
        }
        let watch = watchdog.watch(within: deadline) {
            guard race.finish(.failure(DatabaseError.deadlineExceeded(deadline))) else { return }
            // A lease still waiting is withdrawn (not served later with stale work); a round trip
            // in flight fails once its connection is closed, and the pool replaces it.
            work.cancel()
            if let connection = race.held { Task { try? await connection.close() } }
        }
        defer { watchdog.finish(watch) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in race.start(continuation) }
        } onCancel: {
            work.cancel()
        }
    }

    /// Announces `payload` on `channel` to every listening node (one `pg_notify`, no table).
    public func notify(_ channel: String, _ payload: String, deadline: Duration) async throws {
        let logger = self.logger
        try await withConnection(for: .notify, deadline: deadline) { connection in
            _ = try await connection.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
        }
    }

    /// Holds one connection listening on `channel` and hands its notifications to `consume`
    /// until `consume` returns or the connection fails (then throws: listen again, and treat
    /// everything announced meanwhile as missed).
    public func listen(on channel: String, _ consume: @escaping @Sendable (PostgresNotificationSequence) async throws -> Void) async throws {
        try await client.withConnection { connection in
            holders.add(.listener)
            defer { holders.remove(.listener) }
            try await connection.listen(on: channel, consume: consume)
        }
    }
}

/// Whichever comes first — the work's result or its deadline — answers the caller, once.
///
/// The work is an unstructured task on purpose, the documented exception to "background work is
/// owned by a service's task group": a deadline race must not wait for its loser, and a task group
/// waits for every child before it returns — so a round trip postgres-nio never answers would
/// hold the caller as if there were no deadline at all.
private final class DeadlineRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var early: Result<Value, any Error>?
        var finished = false
        var connection: PostgresConnection?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Value, any Error>) {
        let early: Result<Value, any Error>? = state.withLock { state in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// - Returns: whether this outcome was the first.
    @discardableResult
    func finish(_ outcome: Result<Value, any Error>) -> Bool {
        let (first, continuation): (Bool, CheckedContinuation<Value, any Error>?) = state.withLock { state in
            guard !state.finished else { return (false, nil) }
            state.finished = true
            guard let continuation = state.continuation else {
                state.early = outcome
                return (true, nil)
            }
            state.continuation = nil
            return (true, continuation)
        }
        continuation?.resume(with: outcome)
        return first
    }

    /// Records the connection the work holds, unless the race is already decided.
    func hold(_ connection: PostgresConnection) -> Bool {
        state.withLock { state in
            guard !state.finished else { return false }
            state.connection = connection
            return true
        }
    }

    func release() { state.withLock { $0.connection = nil } }
    var held: PostgresConnection? { state.withLock { $0.connection } }
}

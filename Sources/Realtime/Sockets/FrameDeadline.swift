import Synchronization

/// Bounds how long one inbound frame may hold its socket's queue. A frame whose handling has not
/// finished by the deadline is answered `unavailable` (its client resends, with the same client
/// id for a send), and the frames behind it go on. The handling itself runs on as an unstructured
/// task until it ends: postgres-nio can leave a round trip unanswered for good (a query written to
/// a connection that closed under it), and a socket must never wedge behind one.
///
/// One of the two documented exceptions to "Realtime's background work is owned by
/// `BackgroundWork`" (the other is `Database.withConnection(for:deadline:)`): a deadline race must
/// not wait for its loser, and a child task would be waited for by its parent — the socket's drain
/// — however long it hangs. The drain itself is a job of `BackgroundWork`; only the handling of a
/// frame that lost its race outlives it, and the timer is cancelled as soon as the race is decided.
enum FrameDeadline {
    /// Beyond the writer's round-trip deadline (5 s) and its one retry (within 2.5 s of the start).
    static let limit: Duration = .seconds(8)

    /// Runs `work`; returns its outcome, or nil when `limit` passed first.
    static func run(within limit: Duration = limit, _ work: @escaping @Sendable () async throws -> Void) async -> Result<Void, any Error>? {
        let answer = FirstAnswer()
        Task {
            do { try await work(); answer.give(.success(())) } catch { answer.give(.failure(error)) }
        }
        let timer = Task {
            try await Task.sleep(for: limit)
            answer.give(nil)
        }
        let outcome = await answer.wait()
        timer.cancel()
        return outcome
    }
}

/// The first of several answers, handed to one waiter.
private final class FirstAnswer: Sendable {
    private struct State {
        var answer: Result<Void, any Error>??
        var waiter: CheckedContinuation<Result<Void, any Error>?, Never>?
    }

    private let state = Mutex(State())

    func give(_ answer: Result<Void, any Error>?) {
        let waiter: CheckedContinuation<Result<Void, any Error>?, Never>? = state.withLock { state in
            guard state.answer == nil else { return nil }
            state.answer = .some(answer)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: answer)
    }

    func wait() async -> Result<Void, any Error>? {
        await withCheckedContinuation { continuation in
            let ready: Result<Void, any Error>?? = state.withLock { state in
                if let answer = state.answer { return .some(answer) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

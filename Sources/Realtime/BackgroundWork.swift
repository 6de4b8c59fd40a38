import ServiceLifecycle

/// The work Realtime starts and does not wait for — a socket's frame drain, a catch-up, a relayed
/// NOTIFY, serving the queue after a resolve — run as child tasks of this service, so the service
/// group owns it: it stops at a known place in the shutdown order, and none of it outlives the
/// group.
///
/// The rules:
/// - A job spawned before graceful shutdown begins runs, also one still queued when it begins;
///   graceful shutdown waits for every such job to end.
/// - Once graceful shutdown has begun (or `run()` has returned), `spawn` refuses new jobs and
///   returns false. The caller decides what that means: most drop the work (a drain, a catch-up or
///   a relay is pointless once the sockets are gone — and every socket has closed before this
///   service stops, see `RealtimeServices.services`); a few do it themselves instead.
/// - Cancelling `run()` (the group's grace period ran out) cancels the running jobs and starts no
///   queued one.
///
/// Cheap enough for the socket path: `spawn` is one append to an unbounded `AsyncStream` buffer
/// (no allocation beyond the job's own closure), and the job then costs the one child task an
/// unstructured `Task` would have cost.
public final class BackgroundWork: Service, Sendable {
    public typealias Job = @Sendable () async -> Void

    private let jobs: AsyncStream<Job>
    private let intake: AsyncStream<Job>.Continuation

    public init() {
        (jobs, intake) = AsyncStream.makeStream(of: Job.self)
    }

    /// Queues `job` to run as a child task of `run()`.
    /// - Returns: false when the service no longer takes jobs (it is shutting down or stopped):
    ///   `job` is dropped and will never run.
    @discardableResult
    public func spawn(_ job: @escaping Job) -> Bool {
        if case .enqueued = intake.yield(job) { return true }
        return false
    }

    /// Runs the spawned jobs until graceful shutdown, then waits for those already taken. Run once.
    public func run() async {
        defer { intake.finish() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                // Jobs queued before `finish` still arrive; the loop ends after the last of them.
                for await job in jobs {
                    guard group.addTaskUnlessCancelled(operation: job) else { return }
                }
            }
        } onGracefulShutdown: {
            self.intake.finish()
        }
    }
}

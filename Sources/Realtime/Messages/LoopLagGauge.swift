import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Tenancy

/// How far behind this node's threads run: each event loop, and Swift's task pool, keeps a tick
/// every `interval`, and a tick overdue by some time means that thread has been busy (or without
/// a core) that long — a frame read now arrived about that long ago, and a frame written now
/// reaches its reader as late.
///
/// The writer's queue cannot see this when the cores, not PostgreSQL, are what runs out (the
/// node, PostgreSQL and a load generator sharing two cores at twice the sustainable rate): its
/// queue stays short while frames wait seconds in socket buffers. So a send is also refused
/// while a tick is overdue by more than `maximumLag` (see `MessageWriter.refusal`), which
/// gives the cores back to reading and delivering what was accepted.
public final class LoopLagGauge: Service, Sendable {
    /// One ticking thread's next tick, in `NIODeadline` uptime nanoseconds (0: not ticking).
    private final class Lane: Sendable {
        let due = Atomic<UInt64>(0)
    }

    /// Sends are refused while a tick is overdue by more than this; nil: never.
    public let maximumLag: Duration?
    private let interval: Duration
    private let loops: [any EventLoop]
    private let lanes: [Lane]
    /// The most any tick was late since `takePeak()` last read it (nanoseconds), for /metrics.
    private let peak = Atomic<UInt64>(0)

    public init(maximumLag: Duration?, interval: Duration = .milliseconds(10),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.maximumLag = maximumLag.flatMap { $0 > .zero ? $0 : nil }
        self.interval = interval
        self.loops = Array(group.makeIterator())
        // One lane per event loop and one for the task pool.
        self.lanes = (0...loops.count).map { _ in Lane() }
    }

    /// How long the most overdue tick is overdue now (zero while not running).
    public var lag: Duration {
        let now = NIODeadline.now().uptimeNanoseconds
        var worst: UInt64 = 0
        for lane in lanes {
            let due = lane.due.load(ordering: .relaxed)
            if due != 0, now > due { worst = max(worst, now - due) }
        }
        return .nanoseconds(Int64(worst))
    }

    /// `overloaded` while the node is behind by more than `maximumLag`; nil otherwise. The client
    /// is asked to wait about twice the lag: long enough for the backlog to clear.
    public func refusal() -> RealtimeError? {
        guard let maximumLag else { return nil }
        let lag = self.lag
        guard lag > maximumLag else { return nil }
        return .overloaded(retryAfterMilliseconds: min(1_000, max(100, 2 * lag.wholeMilliseconds)))
    }

    /// Whether the node is half way to refusing sends: typing and read relays give way first.
    public var isPressed: Bool {
        guard let maximumLag else { return false }
        return lag > maximumLag / 2
    }

    /// The most a tick was late since the last call (what /metrics reports), then starts again.
    public func takePeak() -> Duration {
        .nanoseconds(Int64(peak.exchange(0, ordering: .relaxed)))
    }

    public func run() async throws {
        let step = TimeAmount.nanoseconds(interval.wholeNanoseconds)
        let ticks = zip(loops, lanes).map { loop, lane in
            lane.due.store(NIODeadline.now().uptimeNanoseconds + UInt64(step.nanoseconds), ordering: .relaxed)
            return loop.scheduleRepeatedTask(initialDelay: step, delay: step) { [self] _ in self.tick(lane, step: step) }
        }
        defer {
            for tick in ticks { tick.cancel() }
            for lane in lanes { lane.due.store(0, ordering: .relaxed) }
        }
        // The task pool's lane: a sleeping task's wake-up waits for a free thread there.
        let pool = lanes[loops.count]
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                pool.due.store(NIODeadline.now().uptimeNanoseconds + UInt64(step.nanoseconds), ordering: .relaxed)
                try await Task.sleep(for: self.interval)
                self.tick(pool, step: nil)
            }
        }
    }

    private func tick(_ lane: Lane, step: TimeAmount?) {
        let now = NIODeadline.now().uptimeNanoseconds
        let due = lane.due.load(ordering: .relaxed)
        if due != 0, now > due { peak.max(now - due) }
        if let step { lane.due.store(now + UInt64(step.nanoseconds), ordering: .relaxed) }
    }
}

private extension Atomic where Value == UInt64 {
    /// Raises the value to `candidate` if it is larger.
    func max(_ candidate: UInt64) {
        var current = load(ordering: .relaxed)
        while candidate > current {
            let (exchanged, original) = compareExchange(expected: current, desired: candidate, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

import Foundation

/// Where a socket connected from: recorded on visitors and in audit-relevant logs.
public struct ConnectionOrigin: Sendable {
    public var ip: String
    public var userAgent: String
    public var origin: String?

    public init(ip: String, userAgent: String, origin: String?) {
        self.ip = ip
        self.userAgent = userAgent
        self.origin = origin
    }
}

/// What handles a socket's frames once its role is known.
protocol SocketSession: Sendable {
    var hub: Hub { get }
    /// Turns the frame into one of the session's own typed frames and carries it out.
    func handle(_ frame: FrameFields, on socket: LiveSocket) async throws
    /// On the event loop, as the frame arrives: the answer to a frame refused before it is
    /// queued (its ref, and why), or nil to queue it.
    func refusalOnArrival(_ text: String, on socket: LiveSocket) -> (ref: String?, RealtimeError)?
}

extension SocketSession {
    func refusalOnArrival(_ text: String, on socket: LiveSocket) -> (ref: String?, RealtimeError)? { nil }
}

/// A token bucket: `burst` at once, refilled at `perSecond`.
struct RateAllowance {
    var burst: Double = SocketLimits.sendBurst
    var perSecond: Double = SocketLimits.sendsPerSecond
    var tokens: Double = SocketLimits.sendBurst
    var updated = ContinuousClock.now

    mutating func take(now: ContinuousClock.Instant = .now) -> Bool {
        let elapsed = now - updated
        updated = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * perSecond)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// Fixed per-socket bounds.
enum SocketLimits {
    static let maximumStrikes = 10
    static let maximumQueuedFrames = 64
    /// How long one frame may hold its socket's queue (see `LiveSocket.abandon`): beyond the
    /// writer's round-trip deadline (5 s) and its one retry (within 2.5 s of the start).
    static let frameDeadline: Duration = .seconds(8)
    /// Outbound bytes waiting for the flusher (the channel's own buffer is bounded apart): a
    /// safety net above the largest burst one writer batch can bring a healthy socket.
    static let maximumQueuedBytes = 4 * 1024 * 1024
    /// A catch-up writes on only while less than this waits (see `LiveSocket.waitForRoom`):
    /// under the channel's watermark span, so one flush cannot overfill it by much.
    static let bulkBacklogBytes = 128 * 1024
    static let sendBurst: Double = 20
    static let sendsPerSecond: Double = 10
}

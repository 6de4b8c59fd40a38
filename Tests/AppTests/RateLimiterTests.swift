import Testing
@testable import App

/// The bounded memory of the per-address token buckets behind the API and WebSocket upgrade limits.
@Suite struct RateLimiterMemoryTests {
    @Test func anAddressFloodDoesNotResetAThrottledClient() {
        let limiter = RateLimiter(perMinute: 10, maximumKeys: 1_000)
        var now = ContinuousClock.now
        for _ in 0..<10 { #expect(limiter.acquire("198.51.100.66", now: now) == nil) }
        #expect(limiter.acquire("198.51.100.66", now: now) != nil)
        // Twenty times the table's size in fresh addresses, one request each, within a second.
        for index in 0..<20_000 {
            now += .microseconds(40)
            _ = limiter.acquire("flood-\(index)", now: now)
            #expect(limiter.count <= 1_000)
        }
        #expect(limiter.acquire("198.51.100.66", now: now) != nil, "the throttled client was forgotten")
    }

    @Test func theBucketsNearestToFullAreForgottenFirstAndOnlyATenthAtATime() {
        let limiter = RateLimiter(perMinute: 60, maximumKeys: 100)
        let start = ContinuousClock.now
        for _ in 0..<60 { _ = limiter.acquire("busy", now: start) }
        for index in 0..<49 { for _ in 0..<30 { _ = limiter.acquire("half-\(index)", now: start) } }
        for index in 0..<50 { _ = limiter.acquire("light-\(index)", now: start) }
        #expect(limiter.count == 100)
        // Full: ten of the lightly used clients (59 tokens left) make room for the newcomer.
        _ = limiter.acquire("newcomer", now: start)
        #expect(limiter.count == 91)
        #expect(limiter.acquire("busy", now: start) != nil)
        for index in 0..<49 {
            for _ in 0..<30 { #expect(limiter.acquire("half-\(index)", now: start) == nil) }
            #expect(limiter.acquire("half-\(index)", now: start) != nil, "half-\(index) was forgotten")
        }
    }
}

import Synchronization

/// Token buckets per key (client IP): `perMinute` requests a minute with bursts up to the same
/// number. Memory stays bounded: full, idle buckets are dropped once the table grows large.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let capacity: Double
    private let refillPerSecond: Double
    private let maximumKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(perMinute: Int, maximumKeys: Int = 100_000) {
        self.capacity = Double(perMinute)
        self.refillPerSecond = Double(perMinute) / 60
        self.maximumKeys = maximumKeys
    }

    /// Takes one token for `key`; returns `nil` when allowed, else the seconds until one is free.
    func acquire(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            if buckets.count >= maximumKeys { prune(&buckets, now: now) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * refillPerSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / refillPerSecond).rounded(.up)))
        }
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let refillTime = Duration.seconds(capacity / refillPerSecond)
        buckets = buckets.filter { now - $0.value.updated < refillTime }
        if buckets.count >= maximumKeys { buckets.removeAll(keepingCapacity: true) }
    }
}

import Synchronization

/// Token buckets per key (a client address): `perMinute` requests a minute with bursts up to the
/// same number.
///
/// Memory is bounded by `maximumKeys` without ever forgetting every client at once. Forgetting
/// a bucket is the same as refilling it, so when the table is full the idlest buckets go first:
/// the full ones, then those nearest to full (whose forgetting changes least), a tenth of the
/// table at a time. A throttled client holds an empty bucket, which a flood of new addresses
/// (each at most one token down) never displaces.
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
        precondition(perMinute > 0 && maximumKeys > 0)
        self.capacity = Double(perMinute)
        self.refillPerSecond = Double(perMinute) / 60
        self.maximumKeys = maximumKeys
    }

    /// Takes one token for `key`; returns `nil` when allowed, else the seconds until one is free.
    func acquire(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            if buckets[key] == nil, buckets.count >= maximumKeys { evictIdlest(&buckets, now: now) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = tokens(bucket, at: now)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / refillPerSecond).rounded(.up)))
        }
    }

    /// How many clients the limiter remembers now.
    var count: Int {
        buckets.withLock { $0.count }
    }

    private func tokens(_ bucket: Bucket, at now: ContinuousClock.Instant) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(capacity, bucket.tokens + max(0, seconds) * refillPerSecond)
    }

    /// Brings the table down to nine tenths of its bound, forgetting the fullest buckets.
    private func evictIdlest(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let target = maximumKeys - max(1, maximumKeys / 10)
        buckets = buckets.filter { tokens($0.value, at: now) < capacity }
        guard buckets.count > target else { return }
        let fullest = buckets.map { (key: $0.key, tokens: tokens($0.value, at: now)) }
            .sorted { $0.tokens > $1.tokens }
            .prefix(buckets.count - target)
        for entry in fullest { buckets.removeValue(forKey: entry.key) }
    }
}

/// What a writer shard's round trip costs by batch size, T(n) ≈ fixed + perMessage · n, fitted
/// to recent batches by exponentially weighted least squares. Under load the fixed part is large
/// (tens of milliseconds of hops and scheduling on busy cores) and a per-message figure alone would
/// make small batches look dear and shut the door on the very batching that gives throughput.
struct BatchCost: Sendable {
    /// The model is used while the shard batches at least this much on average (it is under
    /// load); a quiet shard is never refused by a guess. Every batch is a sample, small ones too:
    /// a model that stopped learning when batches shrank would keep refusing on an old figure,
    /// and batches would stay small.
    static let loadedBatch = 16.0
    private static let weight = 0.2
    private static let outage: Duration = .seconds(1)

    private var meanSize = 0.0
    private var meanSeconds = 0.0
    private var meanSizeSquared = 0.0
    private var meanSizeSeconds = 0.0
    private var samples = 0

    /// A batch of `size` messages took `elapsed`.
    mutating func record(size: Int, elapsed: Duration) {
        // A round trip of a second or more is an outage (PostgreSQL restarting), not a cost: it
        // would make the shard refuse for a while after the database is back.
        guard size > 0, elapsed < Self.outage else { return }
        let n = Double(size)
        let t = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let w = samples == 0 ? 1 : Self.weight
        meanSize += w * (n - meanSize)
        meanSeconds += w * (t - meanSeconds)
        meanSizeSquared += w * (n * n - meanSizeSquared)
        meanSizeSeconds += w * (n * t - meanSizeSeconds)
        samples += 1
    }

    /// The round trip of a batch of `size`, or nil while the shard is not under load.
    func estimate(size: Int) -> Duration? {
        guard samples > 0, meanSize >= Self.loadedBatch else { return nil }
        let variance = meanSizeSquared - meanSize * meanSize
        // Batches all of one size: no slope to fit, so the whole cost is taken as per message
        // (pessimistic; the batch sizes then change and the slope shows).
        var perMessage = meanSeconds / meanSize
        if variance > 1 { perMessage = max(0, (meanSizeSeconds - meanSize * meanSeconds) / variance) }
        let fixed = max(0, meanSeconds - perMessage * meanSize)
        return .nanoseconds(Int64((fixed + perMessage * Double(size)) * 1e9))
    }
}

import Testing
@testable import Realtime

/// A writer shard's model of its round trips: fixed part and per-message part, learnt from
/// recent batches, and silent while the shard is quiet.
@Suite struct BatchCostTests {
    @Test func aFixedPartAndAPerMessagePartAreLearntFromBatchesOfSeveralSizes() throws {
        var cost = BatchCost()
        for size in [20, 60, 100, 40, 120, 80, 30, 110, 50, 90] {
            cost.record(size: size, elapsed: .microseconds(30_000 + 500 * size))
        }
        let estimate = try #require(cost.estimate(size: 100))
        #expect(abs(estimate.wholeMilliseconds - 80) <= 2, "30 ms + 100 × 0.5 ms, got \(estimate)")
        let one = try #require(cost.estimate(size: 1))
        #expect(abs(one.wholeMilliseconds - 30) <= 2, "a small batch still pays the fixed part, got \(one)")
    }

    @Test func aQuietShardHasNoEstimateAndAnOutageTeachesNothing() {
        var cost = BatchCost()
        for _ in 0..<20 { cost.record(size: 2, elapsed: .milliseconds(40)) }
        #expect(cost.estimate(size: 10) == nil, "batches of two: not under load, never refused on a guess")
        var loaded = BatchCost()
        for _ in 0..<20 { loaded.record(size: 64, elapsed: .milliseconds(40)) }
        let before = loaded.estimate(size: 64)
        loaded.record(size: 64, elapsed: .seconds(5))
        #expect(loaded.estimate(size: 64) == before, "a round trip through a restart is not a cost")
    }
}

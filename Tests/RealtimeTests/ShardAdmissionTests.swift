import Foundation
import Testing
@testable import Realtime

/// A writer shard's admission with its measured round trips (`BatchCost`) in the loop, as the
/// writer runs it under load but without a database: batches taught to the shard, one in flight,
/// and sends arriving behind it. (`BatchCostTests` holds the model alone; the overload benchmark
/// shows the two at scale.)
@Suite struct ShardAdmissionTests {
    static let limits = MessageWriter.Limits()

    static func send() -> Pending {
        Pending(message: NewMessage(tenantID: UUID(), conversationID: UUID(), senderType: .visitor, senderID: nil, kind: .text, body: "x"),
                completion: { _ in })
    }

    /// `rounds` batches of `size`, each answered as having taken `elapsed`.
    static func teach(_ shard: Shard, size: Int, elapsed: Duration, rounds: Int = 20) {
        for _ in 0..<rounds {
            for _ in 0..<size { #expect(shard.enqueue(send(), limits: limits) == nil) }
            shard.answered(count: shard.take(size).count, elapsed: elapsed)
        }
    }

    /// Queues sends behind a batch of `inFlight` just taken until one is refused; how many were
    /// queued and the refusal's wait (nil: none refused).
    static func queueBehindABatch(_ shard: Shard, inFlight: Int, upTo limit: Int) -> (queued: Int, retryAfter: Int?) {
        for _ in 0..<inFlight { _ = shard.enqueue(send(), limits: limits) }
        _ = shard.take(inFlight)
        for queued in 0..<limit {
            if case .overloaded(let wait) = shard.enqueue(send(), limits: limits) { return (queued, wait) }
        }
        return (limit, nil)
    }

    @Test func aSendThatWouldWaitOverTheLimitForItsCommitIsRefusedWithAboutThatWait() {
        // 90 ms for 32 messages: a batch just begun leaves room for about three more sends
        // within 100 ms (the model, all of one size, takes the whole cost as per message).
        let shard = Shard()
        Self.teach(shard, size: 32, elapsed: .milliseconds(90))
        // (A thread descheduled for most of the 90 ms would leave about 35: still far below the
        // queue's own bound, which is what this is about.)
        let (queued, retryAfter) = Self.queueBehindABatch(shard, inFlight: 32, upTo: 500)
        #expect((2...40).contains(queued), "refused after \(queued) queued")
        #expect((100...1_000).contains(retryAfter ?? 0), "retryAfterMs \(String(describing: retryAfter))")
    }

    @Test func aFastShardTakesWhatItCanCommitInTime() {
        let shard = Shard()
        Self.teach(shard, size: 32, elapsed: .milliseconds(10))
        let (queued, retryAfter) = Self.queueBehindABatch(shard, inFlight: 32, upTo: 200)
        #expect(queued == 200 && retryAfter == nil, "refused after \(queued) queued")
    }

    @Test func anOutageTeachesTheModelNothing() {
        let shard = Shard()
        Self.teach(shard, size: 32, elapsed: .milliseconds(10))
        Self.teach(shard, size: 32, elapsed: .seconds(3), rounds: 3)
        #expect(Self.queueBehindABatch(shard, inFlight: 32, upTo: 200).retryAfter == nil)
    }

    @Test func aQuietShardIsNeverRefusedOnAGuess() {
        // Batches of 4 (under BatchCost.loadedBatch): the model stays out, however slow they were.
        let shard = Shard()
        Self.teach(shard, size: 4, elapsed: .milliseconds(400))
        #expect(Self.queueBehindABatch(shard, inFlight: 4, upTo: 50).retryAfter == nil)
    }
}

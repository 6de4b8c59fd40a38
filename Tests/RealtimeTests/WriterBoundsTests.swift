import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import Realtime

/// The writer answers every sender within bounds: refused by queueing delay rather than queue
/// length, and `unavailable` when a round trip outlives its deadline — never left waiting.
@Suite struct WriterBoundsTests {
    @Test func aShardRefusesSendsOnceItsOldestHasWaitedTooLongWithAHintWhenToResend() async throws {
        try await RealtimeFixture.with { fixture in
            let conversationID = try await fixture.queuedConversation()
            // Not running: nothing drains, so the first send waits in the queue.
            let writer = MessageWriter(database: fixture.database, nodeID: "bounds",
                                       limits: .init(shards: 1, maximumQueueDelay: .milliseconds(400)), logger: TestDatabase.logger) { _ in }
            let refusals = Refusals()
            writer.submit(fixture.message(conversationID, "first")) { refusals.record($0) }
            writer.submit(fixture.message(conversationID, "second")) { refusals.record($0) }
            #expect(refusals.errors.isEmpty, "a young queue admits")
            #expect(!writer.isUnderPressure)
            #expect(writer.refusal(forConversation: conversationID) == nil, "a socket queues sends to a young queue")
            try await Task.sleep(for: .milliseconds(450))
            #expect(writer.isUnderPressure, "typing and read receipts give way first")
            writer.submit(fixture.message(conversationID, "third")) { refusals.record($0) }
            let refusal = try #require(refusals.errors.first)
            guard case .overloaded(let retryAfter) = refusal else {
                Issue.record("expected overloaded, got \(refusal)")
                return
            }
            #expect(retryAfter >= 100 && retryAfter <= 1_000)
            #expect(writer.shardReports().map(\.queueDepth) == [2])
            guard case .overloaded? = writer.refusal(forConversation: conversationID) else {
                Issue.record("a socket should refuse a send to this shard as it arrives")
                return
            }
        }
    }

    @Test func aRoundTripThatOutlivesItsDeadlineAnswersUnavailableAndTheShardCarriesOn() async throws {
        try await RealtimeFixture.with { fixture in
            let conversationID = try await fixture.queuedConversation()
            let writer = MessageWriter(database: fixture.database, nodeID: "bounds",
                                       limits: .init(shards: 1, roundTripDeadline: .milliseconds(500), stallAfter: .milliseconds(300)),
                                       logger: TestDatabase.logger) { _ in }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.run() }
                defer { group.cancelAll() }
                // Another transaction holds the conversation's row: the append waits on its lock.
                let locked = AsyncStream.makeStream(of: Void.self)
                let release = AsyncStream.makeStream(of: Void.self)
                group.addTask {
                    try await fixture.database.withTenant(fixture.tenantID) { tx in
                        try await tx.query("SELECT id FROM conversations WHERE id = \(conversationID) FOR UPDATE")
                        locked.continuation.yield()
                        for await _ in release.stream { break }
                    }
                }
                for await _ in locked.stream { break }
                let started = ContinuousClock.now
                var failure: RealtimeError?
                async let stalledSeen: Bool = {
                    for _ in 0..<20 {
                        if writer.isStalled { return true }
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                    return false
                }()
                do {
                    _ = try await writer.append(fixture.message(conversationID, "waits", clientID: "once"))
                } catch let error as RealtimeError {
                    failure = error
                }
                #expect(failure == .unavailable)
                #expect(ContinuousClock.now - started < .seconds(3), "answered at the deadline, not when the lock went")
                #expect(await stalledSeen, "the shard reported itself stalled meanwhile")
                release.continuation.yield()

                // The shard carries on: the resend with the same client id is stored once. (The
                // abandoned round trip's server session may still hold the row for a moment.)
                var resent: AppendResult?
                for _ in 0..<20 where resent == nil {
                    do { resent = try await writer.append(fixture.message(conversationID, "waits", clientID: "once")) } catch RealtimeError.unavailable {
                        try await Task.sleep(for: .milliseconds(250))
                    }
                }
                let stored = try #require(resent)
                #expect(stored.message.seq == 1)
                #expect(!writer.isStalled)
                let rows = try await fixture.database.withTenant(fixture.tenantID) { tx in
                    for try await count in try await tx.query("SELECT count(*)::int FROM messages WHERE conversation_id = \(conversationID)").decode(Int.self) {
                        return count
                    }
                    return -1
                }
                #expect(rows == 1)
            }
        }
    }
}

/// Errors handed to completions, in order.
private final class Refusals: Sendable {
    private let recorded = Mutex<[RealtimeError]>([])

    func record(_ result: Result<AppendResult, any Error>) {
        if case .failure(let error) = result, let error = error as? RealtimeError {
            recorded.withLock { $0.append(error) }
        }
    }

    var errors: [RealtimeError] { recorded.withLock { $0 } }
}

extension RealtimeFixture {
    func message(_ conversationID: UUID, _ body: String, clientID: String? = nil) -> NewMessage {
        NewMessage(tenantID: tenantID, conversationID: conversationID, senderType: .visitor, senderID: nil, kind: .text,
                   body: body, clientID: clientID ?? UUID().uuidString)
    }
}

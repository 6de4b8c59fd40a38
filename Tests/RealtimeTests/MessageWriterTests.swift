import Foundation
import Testing
@testable import Realtime

/// The group-commit writer: gap-free seqs in submission order, retries stored once.
@Suite struct MessageWriterTests {
    @Test func concurrentSendsGetGapFreeSeqsInSubmissionOrderPerConversation() async throws {
        try await RealtimeFixture.with { fixture in
            var conversations: [UUID] = []
            for _ in 0..<8 { conversations.append(try await fixture.queuedConversation()) }
            let results = try await withThrowingTaskGroup(of: [AppendResult].self) { group in
                for conversationID in conversations {
                    group.addTask {
                        // One sender per conversation submits 60 messages without waiting.
                        try await withThrowingTaskGroup(of: AppendResult.self) { sends in
                            for index in 0..<60 {
                                let message = NewMessage(tenantID: fixture.tenantID, conversationID: conversationID, senderType: .visitor,
                                                         senderID: nil, kind: .text, body: "m\(index)", clientID: "c\(index)")
                                let submitted = AsyncThrowingStream<AppendResult, any Error>.makeStream()
                                fixture.writer.submit(message) { result in
                                    submitted.continuation.yield(with: result)
                                    submitted.continuation.finish()
                                }
                                sends.addTask {
                                    for try await result in submitted.stream { return result }
                                    throw RealtimeError.unavailable
                                }
                            }
                            return try await sends.reduce(into: []) { $0.append($1) }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(results.count == 480)
            // Batched: fewer round trips than messages, every message counted once.
            let totals = fixture.writer.totals
            #expect(totals.messages == 480)
            #expect(totals.batches >= 1 && totals.batches < 480)
            for conversationID in conversations {
                let mine = results.filter { $0.message.conversationID == conversationID }.sorted { $0.message.seq < $1.message.seq }
                #expect(mine.map(\.message.seq) == Array(1...60))
                #expect(mine.map(\.message.body) == (0..<60).map { "m\($0)" }, "seq follows submission order")
                #expect(try await fixture.conversation(conversationID).lastSeq == 60)
            }
        }
    }

    @Test func aRetryInTheSameBatchOrLaterIsStoredOnce() async throws {
        try await RealtimeFixture.with { fixture in
            let conversationID = try await fixture.queuedConversation()
            let message = NewMessage(tenantID: fixture.tenantID, conversationID: conversationID, senderType: .visitor,
                                     senderID: nil, kind: .text, body: "hello", clientID: "same")
            async let first = fixture.writer.append(message)
            async let second = fixture.writer.append(message)
            let (one, two) = try await (first, second)
            let third = try await fixture.writer.append(message)
            #expect(one.message.seq == 1 && two.message.seq == 1 && third.message.seq == 1)
            #expect([one.duplicate, two.duplicate, third.duplicate].filter { !$0 }.count == 1)
            // The same client id from another sender is a different message.
            let agent = NewMessage(tenantID: fixture.tenantID, conversationID: conversationID, senderType: .agent,
                                   senderID: UUID(), kind: .note, body: "note", clientID: "same")
            #expect(try await fixture.writer.append(agent).message.seq == 2)
        }
    }

    @Test func aMessageForAMissingConversationFailsAloneNotItsBatch() async throws {
        try await RealtimeFixture.with { fixture in
            let conversationID = try await fixture.queuedConversation()
            async let good = fixture.writer.append(NewMessage(tenantID: fixture.tenantID, conversationID: conversationID, senderType: .visitor,
                                                              senderID: nil, kind: .text, body: "fine", clientID: "a"))
            async let bad = fixture.writer.append(NewMessage(tenantID: fixture.tenantID, conversationID: UUID(), senderType: .visitor,
                                                             senderID: nil, kind: .text, body: "lost", clientID: "b"))
            let goodResult = try await good
            #expect(goodResult.message.seq == 1)
            var failure: RealtimeError?
            do { _ = try await bad } catch let error as RealtimeError { failure = error }
            #expect(failure == .conversationNotFound)
        }
    }
}

/// Messages go with their conversation, however it is removed.
@Suite struct MessageCleanupTests {
    @Test func deletingAWidgetRemovesItsConversationsMessages() async throws {
        try await RealtimeFixture.with { fixture in
            let id = try await fixture.queuedConversation()
            for index in 0..<3 {
                _ = try await fixture.writer.append(NewMessage(tenantID: fixture.tenantID, conversationID: id, senderType: .visitor,
                                                               senderID: nil, kind: .text, body: "m\(index)", clientID: "c\(index)"))
            }
            let count: @Sendable () async throws -> Int = {
                try await fixture.database.withTenant(fixture.tenantID) { tx in
                    for try await value in try await tx.query("SELECT count(*)::int FROM messages").decode(Int.self) { return value }
                    return -1
                }
            }
            #expect(try await count() == 3)
            try await fixture.database.withTenant(fixture.tenantID) { tx in
                try await tx.query("DELETE FROM widgets WHERE id = \(fixture.widgetID)")
            }
            #expect(try await count() == 0)
        }
    }
}

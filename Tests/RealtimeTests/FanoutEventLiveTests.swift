import Foundation
import Tenancy
import TestSupport
import Testing
@testable import Realtime

/// What PostgreSQL really delivers on channel `kefu` when serving code commits: the payloads that
/// `kefu_append_messages` writes in SQL and `ConversationStore.announce` writes in Swift are the
/// ones `FanoutEvent` reads, byte for byte.
@Suite struct FanoutEventLiveTests {
    @Test func eachCommittedBatchIsAnnouncedAsTheConversationsLastSeq() async throws {
        try await RealtimeFixture.with { fixture in
            let first = try await fixture.queuedConversation()
            let second = try await fixture.queuedConversation()
            let payloads = try await Self.announced(5, on: fixture.database) {
                // Awaited one by one: one batch, one transaction and one NOTIFY each.
                for conversationID in [first, first, first, second, second] {
                    _ = try await fixture.writer.append(NewMessage(tenantID: fixture.tenantID, conversationID: conversationID,
                                                                   senderType: .visitor, senderID: nil, kind: .text, body: "hi",
                                                                   clientID: UUID().uuidString))
                }
            }
            let expected: [FanoutEvent] = [(first, 1), (first, 2), (first, 3), (second, 1), (second, 2)].map { conversationID, seq in
                .messagesCommitted(node: "test", positions: [.init(tenantID: fixture.tenantID, conversationID: conversationID, lastSeq: seq)])
            }
            #expect(payloads.map { FanoutEvent(payload: $0) } == expected)
            #expect(payloads == expected.map(\.payload), "SQL writes exactly what FanoutEvent writes")
            #expect(payloads.allSatisfy { FanoutEvent.payload($0, isFrom: "test") })
        }
    }

    @Test func aTransactionAnnouncesEveryConversationItAppendedToAndItsChange() async throws {
        try await RealtimeFixture.with { fixture in
            let conversations = [try await fixture.queuedConversation(), try await fixture.queuedConversation()]
            let events = [conversations[0], conversations[0], conversations[1]].map { conversationID in
                NewMessage(tenantID: fixture.tenantID, conversationID: conversationID, senderType: .system, senderID: nil, kind: .event,
                           body: #"{"event":"assigned"}"#)
            }
            let payloads = try await Self.announced(2, on: fixture.database) {
                try await fixture.database.withTenant(fixture.tenantID) { tx in
                    _ = try await ConversationStore.appendEvents(events, node: "node-a", in: tx)
                    try await ConversationStore.announce(conversations[0], node: "node-a", in: tx)
                }
            }
            // SQL lists a tenant's conversations in one payload, ordered by their text.
            let positions = zip(conversations, [2, 1] as [Int64]).sorted { $0.0.uuidString.lowercased() < $1.0.uuidString.lowercased() }
                .map { FanoutEvent.Position(tenantID: fixture.tenantID, conversationID: $0, lastSeq: $1) }
            let expected: [FanoutEvent] = [
                .messagesCommitted(node: "node-a", positions: positions),
                .conversationChanged(node: "node-a", tenantID: fixture.tenantID, conversationID: conversations[0]),
            ]
            #expect(payloads.map { FanoutEvent(payload: $0) } == expected)
            #expect(payloads == expected.map(\.payload))
            #expect(payloads.allSatisfy { FanoutEvent.payload($0, isFrom: "node-a") && !FanoutEvent.payload($0, isFrom: "test") })
        }
    }

    /// The first `count` payloads on channel `kefu` once `work` has run (listening before it
    /// starts); fails after 10 s.
    static func announced(_ count: Int, on database: Database, by work: @escaping @Sendable () async throws -> Void) async throws -> [String] {
        let (payloads, received) = AsyncThrowingStream<String, any Error>.makeStream()
        let (ready, listening) = AsyncStream<Void>.makeStream()
        return try await withThrowingTaskGroup(of: [String]?.self) { group in
            group.addTask {
                defer { listening.finish(); received.finish() }
                // `consume` runs once LISTEN has taken effect.
                try await database.listen(on: FanoutEvent.channel) { notifications in
                    listening.finish()
                    for try await notification in notifications { received.yield(notification.payload) }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                throw TestSetupError("\(count) payloads expected on \(FanoutEvent.channel) within 10 s")
            }
            defer { group.cancelAll() }
            for await _ in ready {}
            try await work()
            group.addTask {
                var collected: [String] = []
                for try await payload in payloads {
                    collected.append(payload)
                    if collected.count == count { break }
                }
                return collected
            }
            while let result = try await group.next() {
                if let collected = result { return collected }
            }
            throw TestSetupError("the listener ended")
        }
    }
}

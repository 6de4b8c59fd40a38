import Foundation
import Testing
@testable import Auth
@testable import Realtime

/// Assignment under concurrency: never two agents on one conversation, never over capacity.
@Suite struct AssignmentTests {
    @Test func twoAgentsAcceptingAtOnceLeaveExactlyOneWinner() async throws {
        try await RealtimeFixture.with { fixture in
            let first = try await fixture.agent(online: false)
            let second = try await fixture.agent(online: false)
            for _ in 0..<5 {
                let conversationID = try await fixture.queuedConversation()
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    for agent in [first, second] {
                        group.addTask { (try? await fixture.service.accept(conversationID, by: agent)) != nil }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1)
                let conversation = try await fixture.conversation(conversationID)
                #expect(conversation.status == .open)
                #expect([first.userID, second.userID].contains(conversation.assigneeID))
            }
        }
    }

    @Test func capacityHoldsWhenManyConversationsAreAssignedAtOnce() async throws {
        try await RealtimeFixture.with { fixture in
            let small = try await fixture.agent(capacity: 2)
            let large = try await fixture.agent(capacity: 3)
            var conversations: [UUID] = []
            for _ in 0..<12 { conversations.append(try await fixture.queuedConversation()) }
            await withTaskGroup(of: Void.self) { group in
                for id in conversations {
                    group.addTask { await fixture.service.autoAssign(tenantID: fixture.tenantID, conversationID: id, settings: fixture.settings) }
                }
            }
            var load: [UUID: Int] = [:]
            for id in conversations {
                if let assignee = try await fixture.conversation(id).assigneeID { load[assignee, default: 0] += 1 }
            }
            #expect(load[small.userID] == 2)
            #expect(load[large.userID] == 3)
            // Accepting past capacity is refused too.
            let extra = try await fixture.queuedConversation()
            await #expect(throws: RealtimeError.conflict("You are at your maximum number of concurrent conversations.")) {
                try await fixture.service.accept(extra, by: small)
            }
        }
    }

    @Test func theLeastBusyAgentGetsTheNextConversationAndTiesGoToTheLongestIdle() async throws {
        try await RealtimeFixture.with { fixture in
            let recent = try await fixture.agent(lastAssigned: "2026-01-02T00:00:00Z")
            let longIdle = try await fixture.agent(lastAssigned: "2026-01-01T00:00:00Z")
            let first = try await fixture.queuedConversation()
            await fixture.service.autoAssign(tenantID: fixture.tenantID, conversationID: first, settings: fixture.settings)
            #expect(try await fixture.conversation(first).assigneeID == longIdle.userID)
            // longIdle now has one; recent has none, so recent is least busy.
            let second = try await fixture.queuedConversation()
            await fixture.service.autoAssign(tenantID: fixture.tenantID, conversationID: second, settings: fixture.settings)
            #expect(try await fixture.conversation(second).assigneeID == recent.userID)
        }
    }

    @Test func anAgentWhoseHeartbeatExpiredGetsNothing() async throws {
        try await RealtimeFixture.with { fixture in
            let agent = try await fixture.agent()
            try await fixture.database.withTenant(fixture.tenantID) { tx in
                try await tx.query("UPDATE agent_presence SET heartbeat_at = now() - interval '10 minutes' WHERE user_id = \(agent.userID)")
            }
            let conversation = try await fixture.queuedConversation()
            await fixture.service.autoAssign(tenantID: fixture.tenantID, conversationID: conversation, settings: fixture.settings)
            let stored = try await fixture.conversation(conversation)
            #expect(stored.status == .queued)
            #expect(stored.assigneeID == nil)
        }
    }
}

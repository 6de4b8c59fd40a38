import Foundation
import Testing
@testable import Auth
@testable import Realtime

/// Pending and snoozed: set by the assignee, ended by a visitor's message or the snooze's end.
@Suite struct ConversationStatusTests {
    @Test func theAssigneeSnoozesAndTheSnoozeEndsOnTime() async throws {
        try await RealtimeFixture.with { fixture in
            let agent = try await fixture.agent()
            let other = try await fixture.agent()
            let id = try await fixture.queuedConversation()
            _ = try await fixture.service.accept(id, by: agent)

            await #expect(throws: RealtimeError.self) {
                try await fixture.service.setStatus(id, to: .snoozed, until: nil, by: agent)
            }
            await #expect(throws: RealtimeError.forbidden("Changing another agent's conversation needs conversations.assign.")) {
                try await fixture.service.setStatus(id, to: .pending, until: nil, by: other)
            }
            let pending = try await fixture.service.setStatus(id, to: .pending, until: nil, by: agent)
            #expect(pending.status == .pending)
            let snoozed = try await fixture.service.setStatus(id, to: .snoozed, until: Date().addingTimeInterval(3600), by: agent)
            #expect(snoozed.status == .snoozed)
            #expect(snoozed.snoozedUntil != nil)

            // Not yet due: nothing happens; once due, it opens again with an event.
            try await fixture.service.wakeSnoozed(tenantID: fixture.tenantID)
            #expect(try await fixture.conversation(id).status == .snoozed)
            try await fixture.database.withTenant(fixture.tenantID) { tx in
                try await tx.query("UPDATE conversations SET snoozed_until = now() - interval '1 second' WHERE id = \(id)")
            }
            try await fixture.service.wakeSnoozed(tenantID: fixture.tenantID)
            let woken = try await fixture.conversation(id)
            #expect(woken.status == .open)
            #expect(woken.snoozedUntil == nil)
            let events = try await fixture.database.withTenant(fixture.tenantID) { tx in
                try await MessageLog.after(0, conversationID: id, limit: 50, in: tx).map(\.body)
            }
            #expect(events.last?.contains("snooze-ended") == true)
        }
    }

    @Test func aVisitorsMessageOpensAPendingConversation() async throws {
        try await RealtimeFixture.with { fixture in
            let agent = try await fixture.agent()
            let id = try await fixture.queuedConversation()
            _ = try await fixture.service.accept(id, by: agent)
            _ = try await fixture.service.setStatus(id, to: .pending, until: nil, by: agent)
            let appended = try await fixture.writer.append(NewMessage(
                tenantID: fixture.tenantID, conversationID: id, senderType: .visitor, senderID: nil, kind: .text, body: "thanks!", clientID: "v1"))
            #expect(appended.conversationStatus == .pending)
            try await fixture.service.wake(tenantID: fixture.tenantID, conversationID: id, reason: "visitor-replied")
            #expect(try await fixture.conversation(id).status == .open)
            await #expect(throws: RealtimeError.self) {
                try await fixture.service.setStatus(id, to: .resolved, until: nil, by: agent)
            }
        }
    }

    @Test func conversationsIdleLongerThanTheTenantsLimitAreResolved() async throws {
        try await RealtimeFixture.with { fixture in
            let idle = try await fixture.queuedConversation()
            let recent = try await fixture.queuedConversation()
            for (id, key) in [(idle, "i1"), (recent, "r1")] {
                _ = try await fixture.writer.append(NewMessage(
                    tenantID: fixture.tenantID, conversationID: id, senderType: .visitor, senderID: nil, kind: .text, body: "hello", clientID: key))
            }
            // Both were last touched 10 minutes ago; only `recent` heard from its visitor since.
            try await fixture.database.withTenant(fixture.tenantID) { tx in
                try await tx.query("UPDATE tenant_settings SET auto_resolve_minutes = 5")
                try await tx.query("UPDATE conversations SET last_activity_at = now() - interval '10 minutes'")
                try await tx.query("UPDATE messages SET created_at = now() - interval '10 minutes' WHERE conversation_id = \(idle)")
            }
            let before = try await fixture.conversation(idle)
            #expect(before.lastSeq == 1)
            #expect(before.lastMessageAt.map { $0 < Date().addingTimeInterval(-500) } == true)

            #expect(try await fixture.service.autoResolveIdle(tenantID: fixture.tenantID) == 1)
            let resolved = try await fixture.conversation(idle)
            #expect(resolved.status == .resolved)
            // The resolved event is its next message, and moves its last-message time.
            #expect(resolved.lastSeq == 2)
            #expect(resolved.lastMessageAt.map { $0 > Date().addingTimeInterval(-60) } == true)
            let events = try await fixture.database.withTenant(fixture.tenantID) { tx in
                try await MessageLog.after(1, conversationID: idle, limit: 10, in: tx).map(\.body)
            }
            #expect(events.first?.contains("inactivity") == true)
            #expect(try await fixture.conversation(recent).status == .queued)
            #expect(try await fixture.service.autoResolveIdle(tenantID: fixture.tenantID) == 0)
        }
    }
}

import Auth
import Foundation
import Logging
import PostgresNIO
import Tenancy

/// Conversation lifecycle, shared by the sockets and the REST API: start and reopen, accept,
/// assign and transfer, resolve, CSAT rating, read positions. Each change runs in one
/// transaction that locks the conversation row, records a system event (numbered like any
/// message) and announces the change to every node; followers hear of it after the commit.
public struct ConversationService: Sendable {
    let database: Database
    let hub: Hub
    let writer: MessageWriter
    let nodeID: String
    /// Serves the queue after a resolve without holding up the resolver's answer.
    let background: BackgroundWork
    /// What every visitor, agent and bot message passes before it is queued for the writer.
    public let pipeline: MessagePipeline

    public init(database: Database, hub: Hub, writer: MessageWriter, nodeID: String, background: BackgroundWork, pipeline: MessagePipeline) {
        self.database = database
        self.hub = hub
        self.writer = writer
        self.nodeID = nodeID
        self.background = background
        self.pipeline = pipeline
    }

    /// An agent's reply or private note, returned once committed. The assignee replies (or
    /// anyone with `conversations.assign`); anyone who may reply can add a note.
    public func reply(_ conversationID: UUID, text: String?, clientID: String?, note: Bool, by principal: Principal) async throws -> AppendResult {
        let (conversation, settings, name) = try await database.withTenant(principal.tenantID) { tx in
            (try await ConversationStore.load(conversationID, in: tx), try await ConversationSettings.load(in: tx),
             try await AgentDirectory.displayName(of: principal.userID, in: tx))
        }
        guard let conversation, conversation.assigneeID == principal.userID || principal.has(.conversationsRead) else {
            throw RealtimeError.conversationNotFound
        }
        let (text, clientID) = try MessageRules.check(text: text, clientID: clientID, maximumBytes: settings.maxMessageBytes)
        try Self.checkReply(conversation, note: note, by: principal)
        let draft: MessageDraft
        switch try await screen(MessageDraft(tenantID: principal.tenantID, senderType: .agent, text: text),
                                conversationID: conversationID, senderID: principal.userID, clientID: clientID) {
        case .store(let screened): draft = screened
        case .alreadyStored(let result): return result
        }
        return try await writer.append(NewMessage(
            tenantID: principal.tenantID, conversationID: conversationID, senderType: .agent, senderID: principal.userID,
            kind: note ? .note : .text, body: draft.text, clientID: clientID, senderName: name, flag: draft.flag))
    }

    static func checkReply(_ conversation: Conversation, note: Bool, by principal: Principal) throws(RealtimeError) {
        guard principal.has(.conversationsReply) else { throw .forbidden("Replying needs conversations.reply.") }
        guard !note else { return }
        guard conversation.status != .bot else { throw .conflict("The bot is answering; take the conversation over first.") }
        guard conversation.assigneeID == principal.userID || principal.has(.conversationsAssign) else {
            throw .forbidden("Only the assigned agent (or a supervisor) replies; add a note instead.")
        }
        guard conversation.status != .resolved else { throw .conflict("The conversation is resolved; reopen it first.") }
    }

    /// Runs `body` on the locked conversation; its returned events are appended in the same
    /// transaction. Afterwards the events are delivered and the change pushed. Every change
    /// records at least one event, so no events means nothing changed: nothing is announced.
    @discardableResult
    func change(
        tenantID: UUID, conversationID: UUID,
        _ body: @Sendable (TenantTransaction, Conversation) async throws -> [NewMessage]
    ) async throws -> Conversation {
        let (conversation, events) = try await database.withTenant(tenantID) { tx in
            guard let conversation = try await ConversationStore.load(conversationID, lock: true, in: tx) else {
                throw RealtimeError.conversationNotFound
            }
            let newEvents = try await body(tx, conversation)
            guard !newEvents.isEmpty else { return (conversation, [Message]()) }
            let events = try await ConversationStore.appendEvents(newEvents, node: nodeID, in: tx)
            try await ConversationStore.announce(conversationID, node: nodeID, in: tx)
            guard let changed = try await ConversationStore.load(conversationID, in: tx) else { throw RealtimeError.conversationNotFound }
            return (changed, events)
        }
        guard !events.isEmpty else { return conversation }
        hub.deliver(events)
        await hub.changed(tenantID: tenantID, conversationID: conversationID)
        return conversation
    }

    /// The conversation's visitor told more about themselves (a `profile` frame): every node's
    /// followers get the conversation again, which tells the workspace to re-read the visitor.
    func visitorChanged(tenantID: UUID, conversationID: UUID) async throws {
        try await database.withTenant(tenantID) { tx in try await ConversationStore.announce(conversationID, node: nodeID, in: tx) }
        await hub.changed(tenantID: tenantID, conversationID: conversationID)
    }

    func event(_ conversation: Conversation, _ name: String, actor: UUID?, _ details: [String: String] = [:]) -> NewMessage {
        var body = details
        body["event"] = name
        let json = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return NewMessage(tenantID: conversation.tenantID, conversationID: conversation.id, senderType: .system, senderID: actor,
                          kind: .event, body: json)
    }

    // MARK: Visitor side

    /// The conversation a visitor's message goes to: the current one (reopened if recently
    /// resolved) or a new one, queued for the widget's team. `ready` runs before an agent is
    /// offered it (so the visitor's socket follows it from its first event); the conversation
    /// returned is as it stands after that.
    func conversationForVisitorMessage(
        tenantID: UUID, visitorID: UUID, widget: Widget, settings: ConversationSettings, reopening: Bool = true, withBot: Bool = false,
        ready: @Sendable (Conversation) async -> Void
    ) async throws -> Conversation {
        let (current, created) = try await database.withTenant(tenantID) { tx in
            // Two tabs of one visitor sending at once must not open two conversations.
            try await tx.query("SELECT 1 FROM visitors WHERE id = \(visitorID) FOR UPDATE")
            if let current = try await ConversationStore.current(visitorID: visitorID, reopenWindowMinutes: settings.reopenWindowMinutes, in: tx),
               reopening || current.status != .resolved {
                return (current, false)
            }
            let created = try await ConversationStore.create(widgetID: widget.id, visitorID: visitorID, teamID: widget.teamID,
                                                             status: withBot ? .bot : .queued, in: tx)
            try await ConversationStore.announce(created.id, node: nodeID, in: tx)
            return (created, true)
        }
        await ready(current)
        if created, current.status == .bot {
            await hub.changed(tenantID: tenantID, conversationID: current.id)
            return current
        } else if created {
            // Offered first, announced after: when an agent takes it at once, the assignment is
            // what everyone hears (no queue position comes and goes). Oldest first: one queued
            // earlier gets room before this one.
            await drainQueue(tenantID: tenantID, settings: settings)
            let now = try await database.withTenant(tenantID) { tx in try await ConversationStore.load(current.id, in: tx) } ?? current
            if now.status == .queued { await hub.changed(tenantID: tenantID, conversationID: current.id) }
            return now
        } else if current.status == .resolved {
            try await change(tenantID: tenantID, conversationID: current.id) { tx, conversation in
                guard conversation.status == .resolved else { return [] }
                try await ConversationStore.requeue(conversation.id, in: tx)
                return [event(conversation, "reopened", actor: nil)]
            }
            await drainQueue(tenantID: tenantID, settings: settings)
        } else {
            return current
        }
        return try await database.withTenant(tenantID) { tx in try await ConversationStore.load(current.id, in: tx) } ?? current
    }

    /// The bot hands the conversation to people (`reason`: `requested`, `keyword`, `max-turns`,
    /// `provider-error`, `timeout`, `breaker-open`, `no-answer`, `content-blocked`): queued, with a
    /// `handoff` event, and offered to agents. Nothing happens to a conversation the bot no longer holds.
    public func handoff(tenantID: UUID, conversationID: UUID, reason: String) async throws {
        let changed = try await change(tenantID: tenantID, conversationID: conversationID) { tx, conversation in
            guard conversation.status == .bot else { return [] }
            try await ConversationStore.requeue(conversation.id, in: tx)
            try await tx.query("UPDATE conversations SET handoff_reason = \(reason) WHERE id = \(conversation.id)")
            return [event(conversation, "handoff", actor: nil, ["reason": reason])]
        }
        guard changed.status == .queued else { return }
        await drainQueue(tenantID: tenantID)
    }

    /// The visitor rates a resolved conversation (1–5 stars, optional comment).
    func rate(tenantID: UUID, visitorID: UUID, conversationID: UUID, rating: Int, comment: String?) async throws {
        guard (1...5).contains(rating) else { throw RealtimeError.invalid("\"rating\" must be 1 to 5.") }
        guard (comment?.count ?? 0) <= 1000 else { throw RealtimeError.tooLarge("\"comment\" is longer than 1000 characters.") }
        try await change(tenantID: tenantID, conversationID: conversationID) { tx, conversation in
            guard conversation.visitorID == visitorID else { throw RealtimeError.conversationNotFound }
            guard conversation.status == .resolved else { throw RealtimeError.conflict("Only a resolved conversation can be rated.") }
            try await tx.query("UPDATE conversations SET csat_rating = \(Int16(rating)), csat_comment = \(comment), updated_at = now() WHERE id = \(conversationID)")
            return [event(conversation, "rated", actor: nil, ["rating": String(rating)])]
        }
    }

    // MARK: Agent side

    /// Offers a queued conversation to the best online agent with room (see `AgentCapacity`).
    /// - Returns: whether it is no longer waiting (assigned now, or taken meanwhile).
    @discardableResult
    func autoAssign(tenantID: UUID, conversationID: UUID, settings: ConversationSettings) async -> Bool {
        do {
            let after = try await change(tenantID: tenantID, conversationID: conversationID) { tx, conversation in
                guard conversation.status == .queued, conversation.assigneeID == nil else { return [] }
                guard let agentID = try await AgentCapacity.pick(teamID: conversation.teamID, roundRobin: settings.roundRobin, in: tx) else { return [] }
                try await setAssignee(agentID, of: conversation, in: tx)
                return [event(conversation, "assigned", actor: nil, ["agentId": agentID.uuidString.lowercased()])]
            }
            return !(after.status == .queued && after.assigneeID == nil)
        } catch {
            hub.logger.warning("automatic assignment failed", metadata: ["conversation": "\(conversationID)", "error": "\(error)"])
            return false
        }
    }

    /// Offers the tenant's queued conversations, oldest first within each team, until no team's
    /// oldest finds an agent with room. Called whenever an agent may have become available
    /// (connects, goes online, comes back from an expired heartbeat, frees capacity) and when a
    /// conversation is queued. A team nobody can serve never holds up another team's queue.
    public func drainQueue(tenantID: UUID, settings known: ConversationSettings? = nil) async {
        do {
            var settings = known
            for _ in 0..<50 {
                let (loaded, heads) = try await database.withTenant(tenantID) { tx in
                    let loaded: ConversationSettings
                    if let settings { loaded = settings } else { loaded = try await ConversationSettings.load(in: tx) }
                    // Each team's oldest queued conversation (and the oldest for any agent).
                    let rows = try await tx.query("""
                        SELECT id FROM (
                            SELECT DISTINCT ON (team_id) id, queued_at FROM conversations
                            WHERE status = 'queued' ORDER BY team_id, queued_at, id) heads
                        ORDER BY queued_at, id LIMIT 200
                        """)
                    var heads: [UUID] = []
                    for try await id in rows.decode(UUID.self) { heads.append(id) }
                    return (loaded, heads)
                }
                settings = loaded
                var progressed = false
                for conversationID in heads where await autoAssign(tenantID: tenantID, conversationID: conversationID, settings: loaded) {
                    progressed = true
                }
                if !progressed { return }
            }
        } catch {
            hub.logger.warning("queue drain failed", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
        }
    }

    private func setAssignee(_ agentID: UUID, of conversation: Conversation, in tx: TenantTransaction) async throws {
        try await tx.query("""
            UPDATE conversations SET assignee_id = \(agentID), status = CASE WHEN status IN ('queued', 'bot') THEN 'open' ELSE status END,
                assigned_at = now(), last_activity_at = now(), updated_at = now()
            WHERE id = \(conversation.id)
            """)
        try await AgentCapacity.recordAssignment(agentID, in: tx)
    }

    /// An agent takes a queued conversation. Of two agents accepting at once, one wins; the
    /// other gets `conflict`.
    public func accept(_ conversationID: UUID, by principal: Principal) async throws -> Conversation {
        guard principal.has(.conversationsReply) else { throw RealtimeError.forbidden("Accepting conversations needs conversations.reply.") }
        return try await change(tenantID: principal.tenantID, conversationID: conversationID) { tx, conversation in
            guard conversation.assigneeID == nil, [.queued, .bot].contains(conversation.status) else {
                throw RealtimeError.conflict("This conversation has already been taken.")
            }
            guard try await AgentCapacity.lockAndCheck(principal.userID, in: tx) else {
                throw RealtimeError.conflict("You are at your maximum number of concurrent conversations.")
            }
            try await setAssignee(principal.userID, of: conversation, in: tx)
            return [event(conversation, "assigned", actor: principal.userID, ["agentId": principal.userID.uuidString.lowercased()])]
        }
    }

    /// Assigns (or transfers) to an agent, or moves to a team's queue. The current assignee may
    /// hand over their own conversation; anything else needs `conversations.assign`.
    public func assign(_ conversationID: UUID, toAgent agentID: UUID?, toTeam teamID: UUID?, by principal: Principal) async throws -> Conversation {
        guard (agentID == nil) != (teamID == nil) else { throw RealtimeError.invalid("Give exactly one of \"agentId\" and \"teamId\".") }
        let settings = try await database.withTenant(principal.tenantID) { tx in try await ConversationSettings.load(in: tx) }
        let changed = try await change(tenantID: principal.tenantID, conversationID: conversationID) { tx, conversation in
            let own = conversation.assigneeID == principal.userID && principal.has(.conversationsReply)
            guard own || principal.has(.conversationsAssign) else {
                throw RealtimeError.forbidden("Assigning another agent's conversation needs conversations.assign.")
            }
            guard conversation.status != .resolved else { throw RealtimeError.conflict("Reopen the conversation first.") }
            let kind = conversation.assigneeID == nil ? "assigned" : "transferred"
            if let agentID {
                guard agentID != conversation.assigneeID else { return [] }
                let exists = try await tx.query("SELECT 1 FROM users WHERE id = \(agentID) AND status = 'active'")
                var found = false
                for try await _ in exists { found = true }
                guard found else { throw RealtimeError.agentNotFound }
                guard try await AgentCapacity.lockAndCheck(agentID, in: tx) else {
                    throw RealtimeError.conflict("That agent is at their maximum number of concurrent conversations.")
                }
                try await setAssignee(agentID, of: conversation, in: tx)
                return [event(conversation, kind, actor: principal.userID, ["agentId": agentID.uuidString.lowercased()])]
            }
            guard let teamID else { return [] }
            let exists = try await tx.query("SELECT 1 FROM teams WHERE id = \(teamID)")
            var found = false
            for try await _ in exists { found = true }
            guard found else { throw RealtimeError.teamNotFound }
            try await tx.query("""
                UPDATE conversations SET team_id = \(teamID), assignee_id = NULL, status = 'queued', queued_at = now(),
                    last_activity_at = now(), updated_at = now()
                WHERE id = \(conversationID)
                """)
            return [event(conversation, "transferred", actor: principal.userID, ["teamId": teamID.uuidString.lowercased()])]
        }
        if changed.status == .queued {
            await autoAssign(tenantID: principal.tenantID, conversationID: conversationID, settings: settings)
        }
        return changed
    }

    /// Resolves a conversation; its agent's capacity frees up and the queue moves on.
    public func resolve(_ conversationID: UUID, by principal: Principal) async throws -> Conversation {
        let resolved = try await change(tenantID: principal.tenantID, conversationID: conversationID) { tx, conversation in
            let own = conversation.assigneeID == principal.userID && principal.has(.conversationsReply)
            guard own || principal.has(.conversationsAssign) else {
                throw RealtimeError.forbidden("Resolving another agent's conversation needs conversations.assign.")
            }
            guard conversation.status != .resolved else { return [] }
            try await ConversationStore.markResolved(conversationID, in: tx)
            return [event(conversation, "resolved", actor: principal.userID)]
        }
        // The agent has room again; the queue moves on without holding up their answer. While
        // the node stops (no more background work), the resolver waits for it instead: the queue
        // is then served before the pool closes, not left for another node's next event.
        let tenantID = principal.tenantID
        if !background.spawn({ await self.drainQueue(tenantID: tenantID) }) {
            await drainQueue(tenantID: tenantID)
        }
        return resolved
    }

    /// Reopens a resolved conversation into the queue.
    public func reopen(_ conversationID: UUID, by principal: Principal) async throws -> Conversation {
        guard principal.has(.conversationsReply) else { throw RealtimeError.forbidden("Reopening needs conversations.reply.") }
        let settings = try await database.withTenant(principal.tenantID) { tx in try await ConversationSettings.load(in: tx) }
        let reopened = try await change(tenantID: principal.tenantID, conversationID: conversationID) { tx, conversation in
            guard conversation.assigneeID == principal.userID || principal.has(.conversationsRead) else {
                throw RealtimeError.conversationNotFound
            }
            guard conversation.status == .resolved else { throw RealtimeError.conflict("Only a resolved conversation can be reopened.") }
            try await ConversationStore.requeue(conversationID, in: tx)
            return [event(conversation, "reopened", actor: principal.userID)]
        }
        await autoAssign(tenantID: principal.tenantID, conversationID: conversationID, settings: settings)
        return reopened
    }

    /// The assignee (or anyone with `conversations.assign`) moves an assigned conversation
    /// between `open`, `pending` (waiting on the visitor) and `snoozed` (set aside until a time,
    /// at most 30 days ahead). A visitor's message, or the snooze running out, opens it again.
    public func setStatus(_ conversationID: UUID, to status: Conversation.Status, until: Date?, by principal: Principal) async throws -> Conversation {
        guard [.open, .pending, .snoozed].contains(status) else {
            throw RealtimeError.invalid("\"status\" must be open, pending or snoozed (resolve and reopen have their own commands).")
        }
        if status == .snoozed {
            guard let until, until > Date(), until < Date().addingTimeInterval(30 * 86400) else {
                throw RealtimeError.invalid("A snooze needs \"until\": a time in the next 30 days.")
            }
        }
        return try await change(tenantID: principal.tenantID, conversationID: conversationID) { tx, conversation in
            let own = conversation.assigneeID == principal.userID && principal.has(.conversationsReply)
            guard own || principal.has(.conversationsAssign) else {
                throw RealtimeError.forbidden("Changing another agent's conversation needs conversations.assign.")
            }
            guard conversation.assigneeID != nil, Conversation.Status.holdingAgent.contains(conversation.status) else {
                throw RealtimeError.conflict("Only an assigned, unresolved conversation can be set open, pending or snoozed.")
            }
            guard conversation.status != status || status == .snoozed else { return [] }
            let snoozedUntil = status == .snoozed ? until : nil
            try await tx.query("""
                UPDATE conversations SET status = \(status.rawValue), snoozed_until = \(snoozedUntil), last_activity_at = now(), updated_at = now()
                WHERE id = \(conversationID)
                """)
            var details = ["status": status.rawValue]
            if let snoozedUntil { details["until"] = ServerFrame.timestamp(snoozedUntil) }
            return [event(conversation, "status", actor: principal.userID, details)]
        }
    }

    /// Opens a pending or snoozed conversation again (the visitor wrote, or the snooze ended).
    func wake(tenantID: UUID, conversationID: UUID, reason: String) async throws {
        try await change(tenantID: tenantID, conversationID: conversationID) { tx, conversation in
            guard [.pending, .snoozed].contains(conversation.status) else { return [] }
            try await tx.query("""
                UPDATE conversations SET status = 'open', snoozed_until = NULL, last_activity_at = now(), updated_at = now()
                WHERE id = \(conversationID)
                """)
            return [event(conversation, "status", actor: nil, ["status": "open", "reason": reason])]
        }
    }

    /// Opens every conversation of `tenantID` whose snooze has run out.
    public func wakeSnoozed(tenantID: UUID) async throws {
        let due = try await database.withTenant(tenantID) { tx in
            var ids: [UUID] = []
            for try await id in try await tx.query("SELECT id FROM conversations WHERE status = 'snoozed' AND snoozed_until <= now() LIMIT 500").decode(UUID.self) {
                ids.append(id)
            }
            return ids
        }
        for conversationID in due {
            do { try await wake(tenantID: tenantID, conversationID: conversationID, reason: "snooze-ended") } catch {
                hub.logger.warning("waking a snoozed conversation failed", metadata: ["conversation": "\(conversationID)", "error": "\(error)"])
            }
        }
    }

    /// Records how far one side has read and tells the other side.
    func markRead(tenantID: UUID, conversationID: UUID, side: Message.SenderType, seq: Int64) async throws {
        // Read positions only ever move forward, so a refused one is made good by the next:
        // while the writer is pressed they give way to messages.
        if writer.isUnderPressure { throw RealtimeError.overloaded(retryAfterMilliseconds: 1_000) }
        let column = side == .visitor ? "visitor_read_seq" : "agent_read_seq"
        let updated = try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("""
                UPDATE conversations SET \(unescaped: column) = LEAST(kefu_conversation_last_seq(tenant_id, id), GREATEST(\(unescaped: column), \(seq)))
                WHERE id = \(conversationID) RETURNING \(unescaped: column)
                """)
            for try await value in rows.decode(Int64.self) { return value }
            throw RealtimeError.conversationNotFound
        }
        hub.read(tenantID: tenantID, conversationID: conversationID, side: side, seq: updated)
    }

    /// Resolves conversations idle longer than their tenant's `auto_resolve_minutes`.
    public func autoResolveIdle(tenantID: UUID) async throws -> Int {
        let stale = try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("""
                SELECT c.id FROM conversations c, tenant_settings s
                WHERE c.status IN ('open', 'pending', 'queued', 'bot') AND s.auto_resolve_minutes > 0
                  AND GREATEST(c.last_activity_at, kefu_conversation_last_message_at(c.tenant_id, c.id)) < now() - make_interval(mins => s.auto_resolve_minutes)
                LIMIT 500
                """)
            var ids: [UUID] = []
            for try await id in rows.decode(UUID.self) { ids.append(id) }
            return ids
        }
        var resolved = 0
        for conversationID in stale {
            do {
                try await change(tenantID: tenantID, conversationID: conversationID) { tx, conversation in
                    guard conversation.status != .resolved else { return [] }
                    try await ConversationStore.markResolved(conversationID, in: tx)
                    return [event(conversation, "resolved", actor: nil, ["reason": "inactivity"])]
                }
                resolved += 1
            } catch {
                hub.logger.warning("auto-resolve of a conversation failed", metadata: ["conversation": "\(conversationID)", "error": "\(error)"])
            }
        }
        return resolved
    }
}

import Foundation
import PostgresNIO
import Tenancy

/// SQL for conversations, run inside a tenant's transaction.
enum ConversationStore {
    /// The last seq and last message time are read from the messages (see migration 0009).
    static let columns = """
        id, widget_id, visitor_id, team_id, assignee_id, status, kefu_conversation_last_seq(tenant_id, id) AS last_seq,
        visitor_read_seq, agent_read_seq, queued_at, assigned_at, resolved_at,
        kefu_conversation_last_message_at(tenant_id, id) AS last_message_at, csat_rating, csat_comment, created_at, updated_at,
        snoozed_until, (SELECT u.display_name FROM users u WHERE u.id = assignee_id) AS assignee_name,
        kefu_conversation_unread(tenant_id, id, agent_read_seq) AS unread
        """

    static func load(_ id: UUID, lock: Bool = false, in tx: TenantTransaction) async throws -> Conversation? {
        let rows = try await tx.query("SELECT \(unescaped: columns) FROM conversations WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        return try await decode(rows, tenantID: tx.tenantID).first
    }

    /// Those of `ids` that exist in the tenant, in no particular order.
    static func load(_ ids: [UUID], in tx: TenantTransaction) async throws -> [Conversation] {
        guard !ids.isEmpty else { return [] }
        return try await decode(try await tx.query("SELECT \(unescaped: columns) FROM conversations WHERE id = ANY(\(ids))"), tenantID: tx.tenantID)
    }

    static func decode(_ rows: PostgresRowSequence, tenantID: UUID) async throws -> [Conversation] {
        var result: [Conversation] = []
        for try await row in rows { result.append(try decode(row: row, tenantID: tenantID)) }
        return result
    }

    /// A row holding `columns` (read by name, so their order and any extra columns are free).
    static func decode(row: PostgresRow, tenantID: UUID) throws -> Conversation {
        let c = row.makeRandomAccess()
        return Conversation(
            tenantID: tenantID, id: try c["id"].decode(UUID.self), widgetID: try c["widget_id"].decode(UUID.self),
            visitorID: try c["visitor_id"].decode(UUID.self), teamID: try c["team_id"].decode(UUID?.self),
            assigneeID: try c["assignee_id"].decode(UUID?.self),
            status: Conversation.Status(rawValue: try c["status"].decode(String.self)) ?? .resolved,
            lastSeq: try c["last_seq"].decode(Int64.self), visitorReadSeq: try c["visitor_read_seq"].decode(Int64.self),
            agentReadSeq: try c["agent_read_seq"].decode(Int64.self), queuedAt: try c["queued_at"].decode(Date?.self),
            assignedAt: try c["assigned_at"].decode(Date?.self), resolvedAt: try c["resolved_at"].decode(Date?.self),
            lastMessageAt: try c["last_message_at"].decode(Date?.self), csatRating: try c["csat_rating"].decode(Int16?.self).map(Int.init),
            csatComment: try c["csat_comment"].decode(String?.self), createdAt: try c["created_at"].decode(Date.self),
            updatedAt: try c["updated_at"].decode(Date.self), snoozedUntil: try c["snoozed_until"].decode(Date?.self),
            assigneeName: try c["assignee_name"].decode(String?.self), unreadByAgent: try c["unread"].decode(Int64.self))
    }

    /// The visitor's current conversation: the latest unresolved one, or one resolved within
    /// the tenant's reopen window (which a new message reopens).
    static func current(visitorID: UUID, reopenWindowMinutes: Int, in tx: TenantTransaction) async throws -> Conversation? {
        let rows = try await tx.query("""
            SELECT \(unescaped: columns) FROM conversations
            WHERE visitor_id = \(visitorID)
              AND (status <> 'resolved' OR resolved_at > now() - make_interval(mins => \(reopenWindowMinutes)::int))
            ORDER BY created_at DESC LIMIT 1
            """)
        return try await decode(rows, tenantID: tx.tenantID).first
    }

    /// The visitor's latest conversation that is not resolved, if any.
    static func unresolved(visitorID: UUID, in tx: TenantTransaction) async throws -> Conversation? {
        let rows = try await tx.query("""
            SELECT \(unescaped: columns) FROM conversations
            WHERE visitor_id = \(visitorID) AND status <> 'resolved'
            ORDER BY created_at DESC LIMIT 1
            """)
        return try await decode(rows, tenantID: tx.tenantID).first
    }

    /// A new conversation, `queued` for people or held by the `bot`.
    static func create(widgetID: UUID, visitorID: UUID, teamID: UUID?, status: Conversation.Status = .queued,
                       in tx: TenantTransaction) async throws -> Conversation {
        let rows = try await tx.query("""
            INSERT INTO conversations (tenant_id, widget_id, visitor_id, team_id, status, queued_at)
            VALUES (\(tx.tenantID), \(widgetID), \(visitorID), \(teamID), \(status.rawValue), now())
            RETURNING \(unescaped: columns)
            """)
        guard let conversation = try await decode(rows, tenantID: tx.tenantID).first else { throw RealtimeError.conversationNotFound }
        return conversation
    }

    /// Back to the queue, unassigned, with a fresh queue time (reopen, or a visitor's new message).
    static func requeue(_ id: UUID, in tx: TenantTransaction) async throws {
        try await tx.query("""
            UPDATE conversations SET status = 'queued', assignee_id = NULL, queued_at = now(), resolved_at = NULL,
                csat_rating = NULL, csat_comment = NULL, last_activity_at = now(), updated_at = now()
            WHERE id = \(id)
            """)
    }

    static func markResolved(_ id: UUID, in tx: TenantTransaction) async throws {
        try await tx.query("UPDATE conversations SET status = 'resolved', resolved_at = now(), updated_at = now() WHERE id = \(id)")
    }

    /// 1-based places in the queue of those `ids` still queued (among their team's queue).
    static func queuePositions(_ ids: [UUID], in tx: TenantTransaction) async throws -> [(UUID, Int)] {
        let rows = try await tx.query("""
            SELECT id, position::int FROM (
                SELECT id, row_number() OVER (PARTITION BY team_id ORDER BY queued_at, id) AS position
                FROM conversations WHERE status = 'queued'
            ) queue WHERE id = ANY(\(ids))
            """)
        var positions: [(UUID, Int)] = []
        for try await (id, position) in rows.decode((UUID, Int).self) { positions.append((id, position)) }
        return positions
    }

    /// Announces a change to every node (delivered at commit).
    static func announce(_ conversationID: UUID, node: String, in tx: TenantTransaction) async throws {
        let payload = FanoutEvent.conversationChanged(node: node, tenantID: tx.tenantID, conversationID: conversationID).payload
        try await tx.query("SELECT pg_notify(\(FanoutEvent.channel), \(payload))")
    }

    /// Appends system events inside `tx` (numbered like any message, delivered after commit).
    static func appendEvents(_ events: [NewMessage], node: String, in tx: TenantTransaction) async throws -> [Message] {
        guard !events.isEmpty else { return [] }
        let rows = try await tx.query("""
            SELECT ordinal, message_id, message_seq, message_created_at
            FROM kefu_append_messages(\(events.map(\.tenantID)), \(events.map(\.conversationID)), \(events.map { $0.clientKey ?? "" }),
                 \(events.map(\.senderType.rawValue)), \(events.map { $0.senderID?.uuidString.lowercased() ?? "" }),
                 \(events.map(\.kind.rawValue)), \(events.map(\.body)), \(events.map { $0.attachmentID?.uuidString.lowercased() ?? "" }), \(node))
            """)
        var messages: [Message] = []
        for try await (ordinal, id, seq, createdAt) in rows.decode((Int32, UUID, Int64, Date).self) {
            messages.append(events[Int(ordinal) - 1].committed(id: id, seq: seq, at: createdAt))
        }
        return messages.sorted { $0.seq < $1.seq }
    }
}

import Auth
import Foundation
import PostgresNIO
import Tenancy

/// Read side of conversations and visitors for the REST API: filtered, keyset-paginated lists
/// (in creation order, or newest first) with what an inbox row shows, counts per inbox view,
/// one conversation, and its messages by `seq`.
public struct ConversationQueries: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public struct Filter: Sendable, Equatable {
        public var statuses: [Conversation.Status] = []
        /// `.some(nil)` selects unassigned conversations.
        public var assigneeID: UUID??
        public var teamID: UUID?
        public var widgetID: UUID?
        public var visitorID: UUID?
        public var createdAfter: Date?
        public var createdBefore: Date?
        /// Text that a message of the conversation (or its visitor's name or email) contains.
        public var text: String?

        public init() {}
    }

    /// A conversation as an inbox row shows it: who the visitor is and the latest message.
    public struct Listed: Sendable {
        public let conversation: Conversation
        public let visitorName: String
        public let visitorEmail: String
        public let lastMessage: Preview?
    }

    /// The start of a conversation's latest text, note or file message.
    public struct Preview: Codable, Sendable, Equatable {
        public let seq: Int64
        public let kind: Message.Kind
        public let senderType: Message.SenderType
        /// At most 200 characters: the text, or an attachment's JSON description.
        public let text: String
    }

    /// The time a conversation last saw activity, as the inbox sorts it: its last message's, or
    /// its creation's before it has one. (Computed, not stored: a column rewritten with every
    /// message is what the writer stopped doing.)
    static let activityKey = KeysetKey("coalesce(kefu_conversation_last_message_at(c.tenant_id, c.id), c.created_at)")

    /// - Parameter byActivity: most recent activity first (`activityKey`); otherwise by creation,
    ///   oldest first unless `page.descending`.
    public func list(_ filter: Filter, page: PageRequest, byActivity: Bool = false, tenantID: UUID) async throws -> Page<Listed> {
        var page = page
        if byActivity { page.descending = true }
        let key = byActivity ? Self.activityKey : .createdAt
        return try await database.withTenant(tenantID) { tx in
            let assignee: UUID? = filter.assigneeID ?? nil
            let pattern = filter.text.map(LikePattern.containing)
            let rows = try await tx.query("""
                SELECT \(unescaped: ConversationStore.columns), (extract(epoch FROM \(unescaped: key.sql)) * 1000000)::bigint AS cursor_micros,
                       (SELECT v.name FROM visitors v WHERE v.id = c.visitor_id) AS visitor_name,
                       (SELECT v.email FROM visitors v WHERE v.id = c.visitor_id) AS visitor_email,
                       preview.seq AS preview_seq, preview.kind AS preview_kind,
                       preview.sender_type AS preview_sender_type, preview.text AS preview_text
                FROM conversations c
                LEFT JOIN LATERAL (
                    SELECT m.seq, m.kind, m.sender_type, left(m.body, 200) AS text FROM messages m
                    WHERE m.conversation_id = c.id AND m.kind IN ('text', 'note', 'attachment')
                    ORDER BY m.seq DESC LIMIT 1
                ) preview ON true
                WHERE \(page.afterCondition(orderedBy: key))
                  AND (cardinality(\(filter.statuses.map(\.rawValue))::text[]) = 0 OR status = ANY(\(filter.statuses.map(\.rawValue))))
                  AND (NOT \(filter.assigneeID != nil) OR assignee_id IS NOT DISTINCT FROM \(assignee))
                  AND (\(filter.teamID)::uuid IS NULL OR team_id = \(filter.teamID))
                  AND (\(filter.widgetID)::uuid IS NULL OR widget_id = \(filter.widgetID))
                  AND (\(filter.visitorID)::uuid IS NULL OR visitor_id = \(filter.visitorID))
                  AND (\(filter.createdAfter)::timestamptz IS NULL OR created_at >= \(filter.createdAfter))
                  AND (\(filter.createdBefore)::timestamptz IS NULL OR created_at < \(filter.createdBefore))
                  AND (\(pattern)::text IS NULL
                       OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.kind IN ('text', 'note') AND m.body ILIKE \(pattern))
                       OR EXISTS (SELECT 1 FROM visitors v WHERE v.id = c.visitor_id AND (v.name ILIKE \(pattern) OR v.email ILIKE \(pattern))))
                ORDER BY \(unescaped: key.sql) \(unescaped: page.descending ? "DESC" : "ASC"), c.id \(unescaped: page.descending ? "DESC" : "ASC")
                LIMIT \(page.limit + 1)
                """)
            var items: [(item: Listed, cursor: PageCursor)] = []
            for try await row in rows {
                let conversation = try ConversationStore.decode(row: row, tenantID: tx.tenantID)
                let c = row.makeRandomAccess()
                let micros = try c["cursor_micros"].decode(Int64.self)
                var preview: Preview?
                if let seq = try c["preview_seq"].decode(Int64?.self) {
                    preview = Preview(seq: seq, kind: Message.Kind(rawValue: try c["preview_kind"].decode(String.self)) ?? .text,
                                      senderType: Message.SenderType(rawValue: try c["preview_sender_type"].decode(String.self)) ?? .system,
                                      text: try c["preview_text"].decode(String.self))
                }
                let listed = Listed(conversation: conversation, visitorName: try c["visitor_name"].decode(String?.self) ?? "",
                                    visitorEmail: try c["visitor_email"].decode(String?.self) ?? "", lastMessage: preview)
                items.append((listed, PageCursor(createdAtMicros: micros, id: conversation.id)))
            }
            return Page(rows: items, limit: page.limit)
        }
    }

    /// How many conversations each inbox view holds, among those `principal` may see.
    public struct Counts: Codable, Sendable, Equatable {
        /// Assigned to the caller, not resolved.
        public let mine: Int
        public let queued: Int
        public let open: Int
        public let pending: Int
        public let snoozed: Int
        public let resolved: Int
    }

    public func counts(for principal: Principal) async throws -> Counts {
        try await database.withTenant(principal.tenantID) { tx in
            let everyone = principal.has(.conversationsRead)
            let rows = try await tx.query("""
                SELECT count(*) FILTER (WHERE assignee_id = \(principal.userID) AND status <> 'resolved')::int,
                       count(*) FILTER (WHERE status = 'queued')::int, count(*) FILTER (WHERE status = 'open')::int,
                       count(*) FILTER (WHERE status = 'pending')::int, count(*) FILTER (WHERE status = 'snoozed')::int,
                       count(*) FILTER (WHERE status = 'resolved')::int
                FROM conversations WHERE \(everyone) OR assignee_id = \(principal.userID)
                """)
            for try await (mine, queued, open, pending, snoozed, resolved) in rows.decode((Int, Int, Int, Int, Int, Int).self) {
                return Counts(mine: mine, queued: queued, open: open, pending: pending, snoozed: snoozed, resolved: resolved)
            }
            return Counts(mine: 0, queued: 0, open: 0, pending: 0, snoozed: 0, resolved: 0)
        }
    }


    /// One conversation, visible to `principal`: their own, or any with `conversations.read`.
    public func get(_ id: UUID, for principal: Principal) async throws -> Conversation {
        let conversation = try await database.withTenant(principal.tenantID) { tx in try await ConversationStore.load(id, in: tx) }
        guard let conversation, conversation.assigneeID == principal.userID || principal.has(.conversationsRead) else {
            throw RealtimeError.conversationNotFound
        }
        return conversation
    }

    /// Messages before `before` (newest page) or after `after` (oldest page), oldest first.
    public func messages(_ conversationID: UUID, before: Int64?, after: Int64?, limit: Int, for principal: Principal) async throws -> [Message] {
        let conversation = try await get(conversationID, for: principal)
        return try await database.withTenant(principal.tenantID) { tx in
            if let after {
                return try await MessageLog.after(after, conversationID: conversation.id, limit: limit, in: tx)
            }
            return try await MessageLog.before(before, conversationID: conversation.id, limit: limit, in: tx)
        }
    }
}

import Auth
import Foundation
import PostgresNIO
import Tenancy

/// Read side of conversations and visitors for the REST API: filtered, keyset-paginated lists
/// (in creation order), one conversation, and its messages by `seq`.
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

    public func list(_ filter: Filter, page: PageRequest, tenantID: UUID) async throws -> Page<Conversation> {
        try await database.withTenant(tenantID) { tx in
            let assignee: UUID? = filter.assigneeID ?? nil
            let pattern = filter.text.map(ConversationQueries.containsPattern)
            let rows = try await tx.query("""
                SELECT \(unescaped: ConversationStore.columns), (extract(epoch FROM created_at) * 1000000)::bigint AS cursor_micros
                FROM conversations c
                WHERE \(page.afterCondition)
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
                ORDER BY created_at, id LIMIT \(page.limit + 1)
                """)
            var items: [(item: Conversation, cursor: PageCursor)] = []
            for try await row in rows {
                let conversation = try ConversationStore.decode(row: row, tenantID: tx.tenantID)
                let micros = try row.makeRandomAccess()["cursor_micros"].decode(Int64.self)
                items.append((conversation, PageCursor(createdAtMicros: micros, id: conversation.id)))
            }
            return Page(rows: items, limit: page.limit)
        }
    }

    /// An ILIKE pattern matching text that contains `text` literally (its %, _ and \ escaped).
    static func containsPattern(_ text: String) -> String {
        "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
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

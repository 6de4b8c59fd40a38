import Auth
import Foundation
import PostgresNIO
import Tenancy

/// A message a `flag` rule matched, as the review queue shows it.
public struct FlaggedMessage: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case open, dismissed, confirmed
    }

    public let id: UUID
    public let conversationID: UUID
    public let seq: Int64
    public let messageID: UUID
    public let senderType: Message.SenderType
    public let senderID: UUID?
    /// The message as stored (a flag never changes it).
    public let text: String
    public let ruleIDs: [UUID]
    public let categories: [String]
    public let createdAt: Date
    public let status: Status
    public let reviewedBy: UUID?
    public let reviewedAt: Date?
    public let note: String?
}

/// The tenant's review queue of flagged messages (`words.manage`): listed with filters, each
/// entry reviewed once (dismissed or confirmed, with a note), every review audited.
public struct WordFlagStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// What the queue is narrowed to; nil fields do not narrow it.
    public struct Filter: Sendable {
        public var status: FlaggedMessage.Status?
        public var category: String?
        public var senderType: Message.SenderType?
        public var conversationID: UUID?

        public init(status: FlaggedMessage.Status? = .open, category: String? = nil, senderType: Message.SenderType? = nil,
                    conversationID: UUID? = nil) {
            self.status = status
            self.category = category
            self.senderType = senderType
            self.conversationID = conversationID
        }
    }

    /// A page of entries, oldest first (the queue's order).
    public func list(page: PageRequest, filter: Filter, tenantID: UUID) async throws -> Page<FlaggedMessage> {
        let matches: SQLFragment = """
            (\(filter.status?.rawValue)::text IS NULL OR status = \(filter.status?.rawValue))
            AND (\(filter.category)::text IS NULL OR \(filter.category) = ANY (categories))
            AND (\(filter.senderType?.rawValue)::text IS NULL OR sender_type = \(filter.senderType?.rawValue))
            AND (\(filter.conversationID)::uuid IS NULL OR conversation_id = \(filter.conversationID))
            """
        return try await database.keysetPage(page, tenantID: tenantID, columns: Self.columns, from: Self.source, where: matches, decode: Self.decode)
    }

    public func get(_ id: UUID, tenantID: UUID) async throws -> FlaggedMessage {
        try await database.withTenant(tenantID) { tx in try await Self.load(id, in: tx) }
    }

    /// Records the review of an open entry; an entry already reviewed is a conflict.
    public func review(_ id: UUID, outcome: FlaggedMessage.Status, note: String?, by caller: Principal,
                       origin: RequestOrigin) async throws -> FlaggedMessage {
        guard outcome != .open else { throw InvalidFields(field: "outcome", message: "dismissed or confirmed") }
        if let note, note.unicodeScalars.count > 1000 { throw InvalidFields(field: "note", message: "at most 1000 characters") }
        return try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.load(id, lock: true, in: tx)
            guard before.status == .open else { throw RealtimeError.conflict("This message was reviewed already (\(before.status.rawValue)).") }
            try await tx.query("""
                UPDATE word_flags SET status = \(outcome.rawValue), reviewed_by = \(caller.userID), reviewed_at = now(), review_note = \(note)
                WHERE id = \(id)
                """)
            try await AuditLog.append(AuditEvent(
                action: "word_flag.reviewed", actor: caller.actor, targetType: "word_flag", targetID: id.lowercased,
                changes: ["status": .init(from: before.status.rawValue, to: outcome.rawValue)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return try await Self.load(id, in: tx)
        }
    }

    // MARK: - Helpers

    /// Each entry with its message's text (one index probe per entry: messages are keyed by
    /// conversation and seq).
    static let source = """
        (SELECT f.*, m.body FROM word_flags f
         JOIN messages m ON m.tenant_id = f.tenant_id AND m.conversation_id = f.conversation_id AND m.seq = f.message_seq) AS flags
        """

    static let columns = """
        id, conversation_id, message_seq, message_id, sender_type, sender_id, body, rule_ids, categories, created_at, status,
        reviewed_by, reviewed_at, review_note, (extract(epoch FROM created_at) * 1000000)::bigint
        """

    static func load(_ id: UUID, lock: Bool = false, in tx: TenantTransaction) async throws -> FlaggedMessage {
        if lock { try await tx.query("SELECT 1 FROM word_flags WHERE id = \(id) FOR UPDATE") }
        let rows = try await tx.query("SELECT \(unescaped: columns) FROM \(unescaped: source) WHERE id = \(id)")
        guard let flag = try await decode(rows).first?.item else { throw RealtimeError.wordFlagNotFound }
        return flag
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [(item: FlaggedMessage, cursor: PageCursor)] {
        var flags: [(item: FlaggedMessage, cursor: PageCursor)] = []
        for try await (id, conversationID, seq, messageID, senderType, senderID, text, ruleIDs, categories, createdAt, status,
                       reviewedBy, reviewedAt, note, micros)
            in rows.decode((UUID, UUID, Int64, UUID, String, UUID?, String, [UUID], [String], Date, String, UUID?, Date?, String?, Int64).self) {
            flags.append((FlaggedMessage(
                id: id, conversationID: conversationID, seq: seq, messageID: messageID, senderType: Message.SenderType(rawValue: senderType) ?? .visitor,
                senderID: senderID, text: text, ruleIDs: ruleIDs, categories: categories, createdAt: createdAt,
                status: FlaggedMessage.Status(rawValue: status) ?? .open, reviewedBy: reviewedBy, reviewedAt: reviewedAt, note: note),
                PageCursor(createdAtMicros: micros, id: id)))
        }
        return flags
    }
}

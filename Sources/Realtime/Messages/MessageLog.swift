import Foundation
import PostgresNIO
import Tenancy

/// Reads of the message table, always inside a tenant's transaction.
enum MessageLog {
    static let storedColumns = "conversation_id, seq, id, sender_type, sender_id, kind, body, attachment_id, client_key, created_at"
    static let columns = storedColumns + ", " + senderName(of: "")

    /// An agent sender's display name, read at delivery (a renamed agent shows the new name).
    static func senderName(of prefix: String) -> String {
        "(SELECT u.display_name FROM users u WHERE u.id = \(prefix)sender_id AND \(prefix)sender_type = 'agent') AS sender_name"
    }

    /// Messages after `seq`, oldest first.
    static func after(_ seq: Int64, conversationID: UUID, limit: Int, visitorView: Bool = false, in tx: TenantTransaction) async throws -> [Message] {
        let rows = try await tx.query("""
            SELECT \(unescaped: columns) FROM messages
            WHERE conversation_id = \(conversationID) AND seq > \(seq) AND (\(!visitorView) OR kind <> 'note')
            ORDER BY seq LIMIT \(limit)
            """)
        return try await decode(rows, tenantID: tx.tenantID)
    }

    /// For many conversations at once, the messages after each one's given seq: one read for a
    /// whole announcement from another node, ordered by conversation, then seq.
    static func after(_ positions: [UUID: Int64], limit: Int, in tx: TenantTransaction) async throws -> [Message] {
        let rows = try await tx.query("""
            SELECT \(unescaped: prefixedColumns)
            FROM unnest(\(Array(positions.keys)), \(Array(positions.values))) AS wanted(conversation_id, after_seq)
            JOIN messages m ON m.conversation_id = wanted.conversation_id AND m.seq > wanted.after_seq
            ORDER BY m.conversation_id, m.seq LIMIT \(limit)
            """)
        return try await decode(rows, tenantID: tx.tenantID)
    }

    /// The message a sender already stored under `clientKey` (see `NewMessage.clientKey`), if any.
    static func stored(clientKey: String, conversationID: UUID, in tx: TenantTransaction) async throws -> Message? {
        let rows = try await tx.query("""
            SELECT \(unescaped: columns) FROM messages WHERE conversation_id = \(conversationID) AND client_key = \(clientKey)
            """)
        return try await decode(rows, tenantID: tx.tenantID).first
    }

    static let prefixedColumns = storedColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        + ", " + senderName(of: "m.")

    /// Messages before `seq` (or the latest), returned oldest first.
    static func before(_ seq: Int64?, conversationID: UUID, limit: Int, visitorView: Bool = false, in tx: TenantTransaction) async throws -> [Message] {
        let rows = try await tx.query("""
            SELECT \(unescaped: columns) FROM messages
            WHERE conversation_id = \(conversationID) AND seq < \(seq ?? Int64.max) AND (\(!visitorView) OR kind <> 'note')
            ORDER BY seq DESC LIMIT \(limit)
            """)
        return try await decode(rows, tenantID: tx.tenantID).reversed()
    }

    static func decode(_ rows: PostgresRowSequence, tenantID: UUID) async throws -> [Message] {
        var messages: [Message] = []
        for try await (conversationID, seq, id, senderType, senderID, kind, body, attachmentID, clientKey, createdAt, senderName)
            in rows.decode((UUID, Int64, UUID, String, UUID?, String, String, UUID?, String?, Date, String?).self) {
            messages.append(Message(
                tenantID: tenantID, conversationID: conversationID, seq: seq, id: id,
                senderType: Message.SenderType(rawValue: senderType) ?? .system, senderID: senderID,
                kind: Message.Kind(rawValue: kind) ?? .event, body: body, attachmentID: attachmentID,
                clientID: clientKey.map(clientID(fromKey:)), createdAt: createdAt, senderName: senderName))
        }
        return messages
    }

    /// The sender's own client id: the client key is `type:sender:clientId`.
    static func clientID(fromKey key: String) -> String {
        let parts = key.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 ? String(parts[2]) : key
    }
}

import Auth
import Crypto
import Foundation
import PostgresNIO
import Tenancy

/// Uploaded images and files: checked (size, type sniffed from the bytes), stored in
/// PostgreSQL, and posted to the conversation as an `attachment` message through the writer
/// (acknowledged once committed, like any message). Each file is fetched by a capability URL
/// whose secret carries the tenant id, so the read runs in that tenant's scope.
public struct AttachmentStore: Sendable {
    public struct Upload: Sendable {
        public var fileName: String
        public var bytes: [UInt8]
        public var clientID: String

        public init(fileName: String, bytes: [UInt8], clientID: String) {
            self.fileName = fileName
            self.bytes = bytes
            self.clientID = clientID
        }
    }

    /// A stored file, for download.
    public struct File: Sendable {
        public let fileName: String
        public let type: SniffedType
        public let bytes: [UInt8]
    }

    let database: Database
    let writer: MessageWriter
    public let maximumBytes: Int

    public init(database: Database, writer: MessageWriter, maximumBytes: Int) {
        self.database = database
        self.writer = writer
        self.maximumBytes = maximumBytes
    }

    /// An agent's file in a conversation they may reply to.
    public func postByAgent(_ upload: Upload, conversationID: UUID, by principal: Principal) async throws -> AppendResult {
        let (conversation, name) = try await database.withTenant(principal.tenantID) { tx in
            (try await ConversationStore.load(conversationID, in: tx), try await AgentDirectory.displayName(of: principal.userID, in: tx))
        }
        guard let conversation, conversation.assigneeID == principal.userID || principal.has(.conversationsRead) else {
            throw RealtimeError.conversationNotFound
        }
        try ConversationService.checkReply(conversation, note: false, by: principal)
        return try await post(upload, tenantID: principal.tenantID, conversationID: conversationID, senderType: .agent, senderID: principal.userID,
                              senderName: name)
    }

    /// A visitor's file in their current conversation, the visitor found by their token.
    public func postByVisitor(_ upload: Upload, widgetKey: String, visitorToken: String) async throws -> AppendResult {
        guard let tenantID = VisitorDirectory.tenantID(fromPublicKey: widgetKey) else { throw RealtimeError.visitorNotFound }
        let (visitorID, conversation) = try await database.withTenant(tenantID) { tx in
            var visitorID: UUID?
            let rows = try await tx.query("""
                SELECT v.id FROM visitors v JOIN widgets w ON w.tenant_id = v.tenant_id AND w.id = v.widget_id
                WHERE v.token_hash = \(VisitorDirectory.hash(visitorToken)) AND w.public_key = \(widgetKey)
                """)
            for try await id in rows.decode(UUID.self) { visitorID = id }
            guard let visitorID else { throw RealtimeError.visitorNotFound }
            let current = try await ConversationStore.unresolved(visitorID: visitorID, in: tx)
            return (visitorID, current)
        }
        guard let conversation else {
            throw RealtimeError.conflict("Send a message first: files go to an open conversation.")
        }
        return try await post(upload, tenantID: tenantID, conversationID: conversation.id, senderType: .visitor, senderID: visitorID)
    }

    /// Checks and stores the file, then appends its message.
    func post(_ upload: Upload, tenantID: UUID, conversationID: UUID, senderType: Message.SenderType, senderID: UUID,
              senderName: String? = nil) async throws -> AppendResult {
        guard !upload.bytes.isEmpty else { throw RealtimeError.invalid("The file is empty.") }
        guard upload.bytes.count <= maximumBytes else { throw RealtimeError.tooLarge("Files are limited to \(maximumBytes) bytes.") }
        guard let type = SniffedType.sniff(upload.bytes) else {
            throw RealtimeError.unsupportedType("Accepted files: PNG, JPEG, GIF and WebP images, PDF, ZIP (including Office documents) and plain UTF-8 text.")
        }
        let name = Self.cleanName(upload.fileName)
        let (_, clientID) = try MessageRules.check(text: name, clientID: upload.clientID, maximumBytes: 1000)
        let secret = Self.newSecret(tenantID: tenantID)
        let clientKey = NewMessage(tenantID: tenantID, conversationID: conversationID, senderType: senderType, senderID: senderID,
                                   kind: .attachment, body: "", clientID: clientID).clientKey ?? clientID
        let stored: (retried: Message?, newID: UUID?) = try await database.withTenant(tenantID) { tx in
            // A retry of a stored upload gets its message back without storing the file again.
            if let retried = try await MessageLog.stored(clientKey: clientKey, conversationID: conversationID, in: tx) { return (retried, nil) }
            let rows = try await tx.query("""
                INSERT INTO attachments (tenant_id, conversation_id, uploader_type, uploader_id, file_name, content_type, byte_count, sha256, data, secret_hash)
                VALUES (\(tenantID), \(conversationID), \(senderType.rawValue), \(senderID), \(name), \(type.rawValue), \(upload.bytes.count),
                        \(Data(SHA256.hash(data: upload.bytes))), \(Data(upload.bytes)), \(Data(SHA256.hash(data: Data(secret.utf8)))))
                RETURNING id
                """)
            for try await id in rows.decode(UUID.self) { return (nil, id) }
            throw RealtimeError.conversationNotFound
        }
        if let retried = stored.retried { return AppendResult(message: retried, duplicate: true) }
        guard let id = stored.newID else { throw RealtimeError.conversationNotFound }
        let description: [String: Any] = [
            "name": name, "contentType": type.rawValue, "size": upload.bytes.count,
            "url": "/api/v1/attachments/\(id.uuidString.lowercased())?sig=\(secret)",
        ]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: description, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        return try await writer.append(NewMessage(
            tenantID: tenantID, conversationID: conversationID, senderType: senderType, senderID: senderID,
            kind: .attachment, body: body, attachmentID: id, clientID: clientID, senderName: senderName))
    }

    /// The file behind a capability URL, or nil for a wrong id or secret.
    public func file(_ id: UUID, secret: String) async throws -> File? {
        guard let tenantID = Self.tenantID(fromSecret: secret) else { return nil }
        return try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("""
                SELECT file_name, content_type, data FROM attachments
                WHERE id = \(id) AND secret_hash = \(Data(SHA256.hash(data: Data(secret.utf8))))
                """)
            for try await (name, contentType, data) in rows.decode((String, String, Data).self) {
                guard let type = SniffedType(rawValue: contentType) else { return nil }
                return File(fileName: name, type: type, bytes: Array(data))
            }
            return nil
        }
    }

    /// A file name safe to store and show: no path, no control characters, at most 200 characters.
    static func cleanName(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init)).prefix(200)
        return cleaned.trimmingCharacters(in: .whitespaces).isEmpty ? "file" : String(cleaned)
    }

    /// A link secret that carries its tenant (see `TenantKey`).
    static func newSecret(tenantID: UUID) -> String {
        TenantKey.make(tenantID: tenantID, randomBytes: 24)
    }

    static func tenantID(fromSecret secret: String) -> UUID? {
        TenantKey.tenantID(of: secret, randomBytes: 24)
    }
}

extension AttachmentStore {
    /// Whether a page at `origin` may upload for the widget with `widgetKey` (CORS): one of the
    /// widget's origins, or the server's own (`host`, the request's Host) for the chat page.
    public func allows(origin: String, host: String?, widgetKey: String) async throws -> Bool {
        guard let origins = try await VisitorDirectory(database: database).allowedOrigins(publicKey: widgetKey) else { return false }
        let allowed = origins.map(WidgetValidation.normalizedOrigin)
        return allowed.contains("*") || allowed.contains(WidgetValidation.normalizedOrigin(origin)) || OwnOrigin.matches(origin: origin, host: host)
    }
}

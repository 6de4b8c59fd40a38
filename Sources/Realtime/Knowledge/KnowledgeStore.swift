import Auth
import Foundation
import PostgresNIO
import Tenancy

/// A knowledge document: what the bot answers from.
public struct KnowledgeDocument: Sendable, Equatable {
    public var id: UUID
    public var title: String
    public var format: DocumentSplitter.Format
    public var body: String
    /// Bumped by every change; the chunks are rebuilt with it.
    public var version: Int
    public var chunks: Int
    /// Chunks with a vector (see `KnowledgeEmbedder`): all of them once embedding has caught up.
    public var embeddedChunks: Int
    public var updatedAt: Date
}

/// A FAQ entry: several ways of asking, one answer given as it is (no LLM involved).
public struct FAQEntry: Sendable, Equatable {
    public var id: UUID
    public var questions: [String]
    public var answer: String
    public var enabled: Bool
}

/// A tenant's knowledge as administrators manage it (`knowledge.manage`): documents, re-cut into chunks
/// and re-indexed in the same transaction as every change, and FAQ entries. Every change audited.
public struct KnowledgeStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    // MARK: Documents

    public func listDocuments(page: PageRequest, tenantID: UUID) async throws -> Page<KnowledgeDocument> {
        try await database.keysetPage(page, tenantID: tenantID, columns: Self.documentColumns, from: "knowledge_documents", decode: Self.decodeDocuments)
    }

    public func document(_ id: UUID, tenantID: UUID) async throws -> KnowledgeDocument {
        try await database.withTenant(tenantID) { tx in try await Self.loadDocument(id, in: tx) }
    }

    public func createDocument(title: String?, format: DocumentSplitter.Format?, body: String?, by caller: Principal,
                               origin: RequestOrigin) async throws -> KnowledgeDocument {
        guard let title else { throw InvalidFields(field: "title", message: "is required") }
        guard let body else { throw InvalidFields(field: "body", message: "is required") }
        let format = format ?? .markdown
        try Self.validate(title: title, body: body)
        let id = UUID()
        let chunks = DocumentSplitter.chunks(title: title, body: body, format: format)
        return try await database.withTenant(caller.tenantID) { tx in
            try await tx.query("""
                INSERT INTO knowledge_documents (tenant_id, id, title, format, body) VALUES (\(tx.tenantID), \(id), \(title), \(format.rawValue), \(body))
                """)
            try await Self.index(id, chunks: chunks, in: tx)
            try await AuditLog.append(AuditEvent(
                action: "knowledge_document.created", actor: caller.actor, targetType: "knowledge_document", targetID: id.lowercased,
                changes: ["title": .init(from: nil, to: title), "chunks": .init(from: nil, to: String(chunks.count))],
                ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return try await Self.loadDocument(id, in: tx)
        }
    }

    public func updateDocument(_ id: UUID, title: String?, format: DocumentSplitter.Format?, body: String?, by caller: Principal,
                               origin: RequestOrigin) async throws -> KnowledgeDocument {
        try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.loadDocument(id, lock: true, in: tx)
            let title = title ?? before.title
            let format = format ?? before.format
            let body = body ?? before.body
            try Self.validate(title: title, body: body)
            guard title != before.title || format != before.format || body != before.body else { return before }
            let chunks = DocumentSplitter.chunks(title: title, body: body, format: format)
            try await tx.query("""
                UPDATE knowledge_documents SET title = \(title), format = \(format.rawValue), body = \(body), version = version + 1, updated_at = now()
                WHERE id = \(id)
                """)
            try await tx.query("DELETE FROM knowledge_chunks WHERE document_id = \(id)")
            try await Self.index(id, chunks: chunks, in: tx)
            var changes: [String: AuditChange] = ["version": .init(from: String(before.version), to: String(before.version + 1))]
            if title != before.title { changes["title"] = .init(from: before.title, to: title) }
            try await AuditLog.append(AuditEvent(
                action: "knowledge_document.updated", actor: caller.actor, targetType: "knowledge_document", targetID: id.lowercased,
                changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return try await Self.loadDocument(id, in: tx)
        }
    }

    public func deleteDocument(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let document = try await Self.loadDocument(id, lock: true, in: tx)
            try await tx.query("DELETE FROM knowledge_documents WHERE id = \(id)")
            try await AuditLog.append(AuditEvent(
                action: "knowledge_document.deleted", actor: caller.actor, targetType: "knowledge_document", targetID: id.lowercased,
                changes: ["title": .init(from: document.title, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    static func validate(title: String, body: String) throws {
        var invalid: [InvalidFields.Field] = []
        if !(1...200).contains(title.unicodeScalars.count) || title.trimmingCharacters(in: .whitespaces).isEmpty {
            invalid.append(.init("title", "1 to 200 characters"))
        }
        if body.unicodeScalars.count > 2_000_000 { invalid.append(.init("body", "at most 2,000,000 characters")) }
        if body.utf8.contains(0) || title.utf8.contains(0) { invalid.append(.init("body", "no NUL characters")) }
        if !invalid.isEmpty { throw InvalidFields(invalid) }
    }

    /// The document's chunks, each with its search vector (heading weighted above body).
    static func index(_ documentID: UUID, chunks: [DocumentSplitter.Chunk], in tx: TenantTransaction) async throws {
        guard !chunks.isEmpty else { return }
        let headings = chunks.map { SearchText($0.heading) }
        let bodies = chunks.map { SearchText($0.text) }
        try await tx.query("""
            INSERT INTO knowledge_chunks (tenant_id, document_id, ordinal, heading, body, search)
            SELECT \(tx.tenantID), \(documentID), u.ordinal::int, u.heading, u.body,
                   setweight(to_tsvector('simple', u.hb) || to_tsvector('english', u.hr), 'A') || to_tsvector('simple', u.bb) || to_tsvector('english', u.br)
            FROM unnest(\(chunks.map(\.heading)), \(chunks.map(\.text)), \(headings.map(\.bigrams)), \(headings.map(\.rest)),
                        \(bodies.map(\.bigrams)), \(bodies.map(\.rest))) WITH ORDINALITY AS u(heading, body, hb, hr, bb, br, ordinal)
            """)
    }

    static let documentColumns = """
        id, title, format, body, version, (SELECT count(*)::int FROM knowledge_chunks c WHERE c.document_id = knowledge_documents.id),
        (SELECT count(*)::int FROM knowledge_chunks c WHERE c.document_id = knowledge_documents.id AND c.embedding IS NOT NULL), updated_at,
        (extract(epoch FROM created_at) * 1000000)::bigint
        """

    static func loadDocument(_ id: UUID, lock: Bool = false, in tx: TenantTransaction) async throws -> KnowledgeDocument {
        let rows = try await tx.query("SELECT \(unescaped: documentColumns) FROM knowledge_documents WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        guard let document = try await decodeDocuments(rows).first?.item else { throw RealtimeError.knowledgeNotFound }
        return document
    }

    static func decodeDocuments(_ rows: PostgresRowSequence) async throws -> [(item: KnowledgeDocument, cursor: PageCursor)] {
        var documents: [(item: KnowledgeDocument, cursor: PageCursor)] = []
        for try await (id, title, format, body, version, chunks, embedded, updatedAt, micros)
            in rows.decode((UUID, String, String, String, Int, Int, Int, Date, Int64).self) {
            documents.append((KnowledgeDocument(id: id, title: title, format: DocumentSplitter.Format(rawValue: format) ?? .text, body: body,
                                                version: version, chunks: chunks, embeddedChunks: embedded, updatedAt: updatedAt),
                              PageCursor(createdAtMicros: micros, id: id)))
        }
        return documents
    }
}

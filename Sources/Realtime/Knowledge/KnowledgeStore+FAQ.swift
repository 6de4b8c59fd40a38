import Auth
import Foundation
import PostgresNIO
import Tenancy

/// FAQ entries: several ways of asking, one answer, each searchable as its questions (weighted
/// first) and its answer.
extension KnowledgeStore {
    public func listFAQ(page: PageRequest, tenantID: UUID) async throws -> Page<FAQEntry> {
        try await database.keysetPage(page, tenantID: tenantID, columns: Self.faqColumns, from: "faq_entries", decode: Self.decodeFAQ)
    }

    public func faq(_ id: UUID, tenantID: UUID) async throws -> FAQEntry {
        try await database.withTenant(tenantID) { tx in try await Self.loadFAQ(id, in: tx) }
    }

    public func createFAQ(questions: [String]?, answer: String?, enabled: Bool?, by caller: Principal, origin: RequestOrigin) async throws -> FAQEntry {
        guard let questions else { throw InvalidFields(field: "questions", message: "is required") }
        guard let answer else { throw InvalidFields(field: "answer", message: "is required") }
        let entry = FAQEntry(id: UUID(), questions: questions, answer: answer, enabled: enabled ?? true)
        try Self.validate(entry)
        return try await database.withTenant(caller.tenantID) { tx in
            try await tx.query("""
                INSERT INTO faq_entries (tenant_id, id, questions, answer, enabled, search)
                VALUES (\(tx.tenantID), \(entry.id), \(entry.questions), \(entry.answer), \(entry.enabled), \(Self.searchVector(of: entry)))
                """)
            try await AuditLog.append(AuditEvent(
                action: "faq_entry.created", actor: caller.actor, targetType: "faq_entry", targetID: entry.id.lowercased,
                changes: ["questions": .init(from: nil, to: entry.questions.joined(separator: " | "))], ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return try await Self.loadFAQ(entry.id, in: tx)
        }
    }

    public func updateFAQ(_ id: UUID, questions: [String]?, answer: String?, enabled: Bool?, by caller: Principal,
                          origin: RequestOrigin) async throws -> FAQEntry {
        try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.loadFAQ(id, lock: true, in: tx)
            var after = before
            if let questions { after.questions = questions }
            if let answer { after.answer = answer }
            if let enabled { after.enabled = enabled }
            try Self.validate(after)
            try await tx.query("""
                UPDATE faq_entries SET questions = \(after.questions), answer = \(after.answer), enabled = \(after.enabled),
                    search = \(Self.searchVector(of: after)), updated_at = now()
                WHERE id = \(id)
                """)
            var changes: [String: AuditChange] = [:]
            if after.questions != before.questions {
                changes["questions"] = .init(from: before.questions.joined(separator: " | "), to: after.questions.joined(separator: " | "))
            }
            if after.answer != before.answer { changes["answer"] = .init(from: "\(before.answer.count) characters", to: "\(after.answer.count) characters") }
            if after.enabled != before.enabled { changes["enabled"] = .init(from: String(before.enabled), to: String(after.enabled)) }
            if !changes.isEmpty {
                try await AuditLog.append(AuditEvent(
                    action: "faq_entry.updated", actor: caller.actor, targetType: "faq_entry", targetID: id.lowercased, changes: changes,
                    ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return try await Self.loadFAQ(id, in: tx)
        }
    }

    public func deleteFAQ(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let entry = try await Self.loadFAQ(id, lock: true, in: tx)
            try await tx.query("DELETE FROM faq_entries WHERE id = \(id)")
            try await AuditLog.append(AuditEvent(
                action: "faq_entry.deleted", actor: caller.actor, targetType: "faq_entry", targetID: id.lowercased,
                changes: ["questions": .init(from: entry.questions.joined(separator: " | "), to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    static func validate(_ entry: FAQEntry) throws {
        var invalid: [InvalidFields.Field] = []
        if !(1...20).contains(entry.questions.count) { invalid.append(.init("questions", "1 to 20 ways of asking")) }
        for (index, question) in entry.questions.enumerated() where !(1...500).contains(question.unicodeScalars.count)
            || question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            invalid.append(.init("questions[\(index)]", "1 to 500 characters"))
        }
        if !(1...5000).contains(entry.answer.unicodeScalars.count) || entry.answer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            invalid.append(.init("answer", "1 to 5,000 characters"))
        }
        if !invalid.isEmpty { throw InvalidFields(invalid) }
    }

    /// An entry's search vector: its questions first (weight A), its answer after (C).
    static func searchVector(of entry: FAQEntry) -> SQLFragment {
        let questions = SearchText(entry.questions.joined(separator: "\n"))
        let answer = SearchText(entry.answer)
        return """
            setweight(to_tsvector('simple', \(questions.bigrams)) || to_tsvector('english', \(questions.rest)), 'A')
            || setweight(to_tsvector('simple', \(answer.bigrams)) || to_tsvector('english', \(answer.rest)), 'C')
            """
    }

    static let faqColumns = "id, questions, answer, enabled, (extract(epoch FROM created_at) * 1000000)::bigint"

    static func loadFAQ(_ id: UUID, lock: Bool = false, in tx: TenantTransaction) async throws -> FAQEntry {
        let rows = try await tx.query("SELECT \(unescaped: faqColumns) FROM faq_entries WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        guard let entry = try await decodeFAQ(rows).first?.item else { throw RealtimeError.knowledgeNotFound }
        return entry
    }

    static func decodeFAQ(_ rows: PostgresRowSequence) async throws -> [(item: FAQEntry, cursor: PageCursor)] {
        var entries: [(item: FAQEntry, cursor: PageCursor)] = []
        for try await (id, questions, answer, enabled, micros) in rows.decode((UUID, [String], String, Bool, Int64).self) {
            entries.append((FAQEntry(id: id, questions: questions, answer: answer, enabled: enabled), PageCursor(createdAtMicros: micros, id: id)))
        }
        return entries
    }
}

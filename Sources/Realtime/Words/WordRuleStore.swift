import Auth
import Foundation
import NIOPosix
import PostgresNIO
import Tenancy

/// A tenant's sensitive-word rules as administrators manage them (`words.manage`): validated
/// whole before anything is written, unique by their folded pattern, every change audited.
///
/// A change is in force on this node when its call returns (the node's matcher is rebuilt
/// first), and on other nodes within a second: a trigger on `word_rules` notifies them, naming
/// this node (`kefu.node`) so this one skips the notice it has already acted on.
public struct WordRuleStore: Sendable {
    let database: Database
    let matchers: WordMatchers
    let nodeID: String
    let normalizer: WordNormalizer

    public init(database: Database, matchers: WordMatchers, nodeID: String, normalizer: WordNormalizer = .standard) {
        self.database = database
        self.matchers = matchers
        self.nodeID = nodeID
        self.normalizer = normalizer
    }

    /// A rule's fields; on update, `nil` ones stay as they are.
    public struct Fields: Sendable {
        public var pattern: String?
        public var action: WordAction?
        public var category: String?
        public var senders: Set<WordSender>?
        public var enabled: Bool?
        public var exceptions: [String]?

        public init(pattern: String? = nil, action: WordAction? = nil, category: String? = nil, senders: Set<WordSender>? = nil,
                    enabled: Bool? = nil, exceptions: [String]? = nil) {
            self.pattern = pattern
            self.action = action
            self.category = category
            self.senders = senders
            self.enabled = enabled
            self.exceptions = exceptions
        }
    }

    /// A page of rules in creation order; `search` narrows to patterns or categories containing it.
    public func list(page: PageRequest, search: String?, tenantID: UUID) async throws -> Page<WordRule> {
        let pattern = search.map { LikePattern.containing($0.lowercased()) }
        let matches: SQLFragment = "(\(pattern)::text IS NULL OR lower(pattern) LIKE \(pattern) OR lower(category) LIKE \(pattern))"
        return try await database.keysetPage(page, tenantID: tenantID, columns: Self.columns, from: "word_rules", where: matches, decode: Self.decode)
    }

    /// The tenant's enabled rules: what its matcher is built from.
    static func enabledRules(tenantID: UUID, in database: Database) async throws -> [WordRule] {
        try await database.withTenant(tenantID) { tx in
            try await decode(try await tx.query("SELECT \(unescaped: columns) FROM word_rules WHERE enabled ORDER BY created_at, id")).map(\.item)
        }
    }

    /// Runs a change of the tenant's rules in one transaction, then rebuilds this node's matcher.
    func changing<Result: Sendable>(_ tenantID: UUID, _ body: @escaping @Sendable (TenantTransaction) async throws -> Result) async throws -> Result {
        let nodeID = self.nodeID
        let result = try await database.withTenant(tenantID) { tx in
            try await tx.query("SELECT set_config('kefu.node', \(nodeID), true)")
            return try await body(tx)
        }
        await matchers.rulesChanged(tenantID: tenantID)
        return result
    }

    /// What the tenant's rules make of `text` from `sender`, with the matcher messages use; the
    /// scan runs off the event loop (a long text takes a few milliseconds).
    public func dryRun(_ text: String, sender: WordSender, tenantID: UUID) async throws -> WordVerdict {
        guard let matcher = try await matchers.matcher(for: tenantID) else { return .clean(text) }
        return try await NIOThreadPool.singleton.runIfActive { matcher.check(text, sender: sender) }
    }

    public func get(_ id: UUID, tenantID: UUID) async throws -> WordRule {
        try await database.withTenant(tenantID) { tx in try await Self.load(id, in: tx) }
    }

    /// Creates a rule; `pattern` and `action` are required.
    public func create(_ fields: Fields, by caller: Principal, origin: RequestOrigin) async throws -> WordRule {
        guard let pattern = fields.pattern else { throw InvalidFields(field: "pattern", message: "is required") }
        guard let action = fields.action else { throw InvalidFields(field: "action", message: "is required") }
        let rule = WordRule(pattern: pattern, action: action, category: fields.category ?? "default",
                            senders: fields.senders ?? Set(WordSender.allCases), enabled: fields.enabled ?? true, exceptions: fields.exceptions ?? [])
        let key = try validate(rule)
        return try await changing(caller.tenantID) { tx in
            try await Self.checkUnique(key, except: nil, in: tx)
            try await tx.query("""
                INSERT INTO word_rules (tenant_id, id, pattern, pattern_key, action, category, senders, enabled, exceptions)
                VALUES (\(tx.tenantID), \(rule.id), \(rule.pattern), \(key), \(rule.action.rawValue), \(rule.category),
                        \(Self.sendersArray(rule.senders)), \(rule.enabled), \(rule.exceptions))
                """)
            try await AuditLog.append(AuditEvent(
                action: "word_rule.created", actor: caller.actor, targetType: "word_rule", targetID: rule.id.uuidString.lowercased(),
                changes: Self.differences(nil, rule), ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return try await Self.load(rule.id, in: tx)
        }
    }

    public func update(_ id: UUID, _ fields: Fields, by caller: Principal, origin: RequestOrigin) async throws -> WordRule {
        try await changing(caller.tenantID) { tx in
            let before = try await Self.load(id, lock: true, in: tx)
            var after = before
            if let pattern = fields.pattern { after.pattern = pattern }
            if let action = fields.action { after.action = action }
            if let category = fields.category { after.category = category }
            if let senders = fields.senders { after.senders = senders }
            if let enabled = fields.enabled { after.enabled = enabled }
            if let exceptions = fields.exceptions { after.exceptions = exceptions }
            let key = try validate(after)
            try await Self.checkUnique(key, except: id, in: tx)
            try await tx.query("""
                UPDATE word_rules SET pattern = \(after.pattern), pattern_key = \(key), action = \(after.action.rawValue),
                    category = \(after.category), senders = \(Self.sendersArray(after.senders)), enabled = \(after.enabled),
                    exceptions = \(after.exceptions), updated_at = now()
                WHERE id = \(id)
                """)
            let changes = Self.differences(before, after)
            if !changes.isEmpty {
                try await AuditLog.append(AuditEvent(
                    action: "word_rule.updated", actor: caller.actor, targetType: "word_rule", targetID: id.uuidString.lowercased(),
                    changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return try await Self.load(id, in: tx)
        }
    }

    public func delete(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await changing(caller.tenantID) { tx in
            let rule = try await Self.load(id, lock: true, in: tx)
            try await tx.query("DELETE FROM word_rules WHERE id = \(id)")
            try await AuditLog.append(AuditEvent(
                action: "word_rule.deleted", actor: caller.actor, targetType: "word_rule", targetID: id.uuidString.lowercased(),
                changes: ["pattern": .init(from: rule.pattern, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    /// Checks every field; returns the pattern's folded key.
    func validate(_ rule: WordRule) throws -> String {
        var invalid: [InvalidFields.Field] = []
        let key = normalizer.key(of: rule.pattern)
        if rule.pattern.unicodeScalars.count > 200 {
            invalid.append(.init("pattern", "at most 200 characters"))
        } else if key.isEmpty {
            invalid.append(.init("pattern", "has nothing to match: letters, digits or characters are needed, not only punctuation or spaces"))
        } else if key.count > WordMatcher.maximumPatternLength {
            invalid.append(.init("pattern", "at most \(WordMatcher.maximumPatternLength) characters once spaces and punctuation are left out"))
        }
        if ([rule.pattern, rule.category] + rule.exceptions).contains(where: Self.hasControlCharacters) {
            invalid.append(.init("pattern", "no control characters (line breaks, tabs…) in a pattern, category or exception"))
        }
        let category = rule.category.trimmingCharacters(in: .whitespaces)
        if category.isEmpty || rule.category.unicodeScalars.count > 50 { invalid.append(.init("category", "1 to 50 characters")) }
        if rule.senders.isEmpty { invalid.append(.init("senders", "at least one of visitor, agent, bot")) }
        if rule.exceptions.count > 20 { invalid.append(.init("exceptions", "at most 20")) }
        for (index, exception) in rule.exceptions.enumerated() where exception.unicodeScalars.count > 200 || normalizer.key(of: exception).count < key.count {
            invalid.append(.init("exceptions[\(index)]", "a longer word that contains the pattern (at most 200 characters)"))
        }
        if !invalid.isEmpty { throw InvalidFields(invalid) }
        return normalizer.keyText(of: rule.pattern)
    }

    // MARK: - Helpers

    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    static let columns = """
        id, pattern, action, category, senders, enabled, exceptions, (extract(epoch FROM created_at) * 1000000)::bigint
        """

    static func load(_ id: UUID, lock: Bool = false, in tx: TenantTransaction) async throws -> WordRule {
        let rows = try await tx.query("SELECT \(unescaped: columns) FROM word_rules WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        guard let rule = try await decode(rows).first?.item else { throw RealtimeError.wordRuleNotFound }
        return rule
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [(item: WordRule, cursor: PageCursor)] {
        var rules: [(item: WordRule, cursor: PageCursor)] = []
        for try await (id, pattern, action, category, senders, enabled, exceptions, micros)
            in rows.decode((UUID, String, String, String, [String], Bool, [String], Int64).self) {
            let rule = WordRule(id: id, pattern: pattern, action: WordAction(rawValue: action) ?? .flag, category: category,
                                senders: Set(senders.compactMap(WordSender.init(rawValue:))), enabled: enabled, exceptions: exceptions)
            rules.append((rule, PageCursor(createdAtMicros: micros, id: id)))
        }
        return rules
    }

    static func checkUnique(_ key: String, except id: UUID?, in tx: TenantTransaction) async throws {
        let rows = try await tx.query("SELECT id, pattern FROM word_rules WHERE pattern_key = \(key) AND id IS DISTINCT FROM \(id)")
        for try await (_, pattern) in rows.decode((UUID, String).self) {
            throw RealtimeError.conflict("A rule for the same word exists already: \(pattern)")
        }
    }

    static func sendersArray(_ senders: Set<WordSender>) -> [String] {
        WordSender.allCases.filter(senders.contains).map(\.rawValue)
    }

    static func differences(_ before: WordRule?, _ after: WordRule) -> [String: AuditChange] {
        var changes: [String: AuditChange] = [:]
        func note(_ field: String, _ old: String?, _ new: String?) {
            if old != new { changes[field] = .init(from: old, to: new) }
        }
        note("pattern", before?.pattern, after.pattern)
        note("action", before?.action.rawValue, after.action.rawValue)
        note("category", before?.category, after.category)
        note("senders", before.map { sendersArray($0.senders).joined(separator: " ") }, sendersArray(after.senders).joined(separator: " "))
        note("enabled", before.map { String($0.enabled) }, String(after.enabled))
        note("exceptions", before?.exceptions.joined(separator: " | "), after.exceptions.joined(separator: " | "))
        return changes
    }
}

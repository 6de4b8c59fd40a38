import Auth
import Foundation
import NIOPosix
import PostgresNIO
import Tenancy

/// What an import did, or would have done.
public struct WordImportReport: Sendable, Equatable {
    /// A line that could not be a rule, by its number in the file.
    public struct InvalidLine: Sendable, Equatable {
        public let line: Int
        public let message: String
    }

    public var added = 0
    /// Lines for a word the tenant had, now changed to what the line says.
    public var updated = 0
    /// Lines for a word the tenant had, saying what it already was.
    public var unchanged = 0
    public var invalid: [InvalidLine] = []
}

/// The import refused: nothing was changed. `report` lists the invalid lines.
public struct WordImportRefused: Error, Sendable {
    public let report: WordImportReport
}

extension WordRuleStore {
    /// What the import says for lines that name no action or category (`?action=`,
    /// `?category=`). A field neither the line nor the import gives keeps an existing rule's
    /// value, and is `mask` / `default` for a new one: re-importing an exported text list never
    /// weakens a `block` rule.
    public struct ImportDefaults: Sendable {
        public var action: WordAction?
        public var category: String?

        public init(action: WordAction? = nil, category: String? = nil) {
            self.action = action
            self.category = category
        }
    }

    /// Imports `entries` in one transaction: a line for a word the tenant has (the same once
    /// folded) updates that rule; a new word is added. With an invalid line (a bad field, or the
    /// same word as an earlier line) nothing changes and `WordImportRefused` lists them all,
    /// unless `skipInvalid`: then the valid lines are imported and the invalid ones reported.
    /// One audit entry with the counts. 100,000 lines take a few statements, not one per line.
    public func importRules(_ entries: [WordList.Entry], defaults: ImportDefaults, skipInvalid: Bool, by caller: Principal,
                            origin: RequestOrigin) async throws -> WordImportReport {
        var report = WordImportReport()
        let (rules, keys, invalid) = try await NIOThreadPool.singleton.runIfActive { [self] in
            var invalid: [WordImportReport.InvalidLine] = []
            let (rules, keys) = validate(entries, defaults: defaults, invalid: &invalid)
            return (rules, keys, invalid)
        }
        report.invalid = invalid
        if !report.invalid.isEmpty, !skipInvalid { throw WordImportRefused(report: report) }
        let counted = report
        return try await changing(caller.tenantID) { tx in
            var report = counted
            let existing = try await Self.existingByKey(in: tx)
            var added: [(WordRule, String)] = []
            var updated: [(WordRule, String)] = []
            for (imported, key) in zip(rules, keys) {
                guard let before = existing[key] else {
                    added.append((imported.rule, key))
                    continue
                }
                let after = imported.merged(into: before)
                if after == before { report.unchanged += 1 } else { updated.append((after, key)) }
            }
            try await Self.insert(added.map(\.0), keys: added.map(\.1), in: tx)
            try await Self.update(updated.map(\.0), keys: updated.map(\.1), in: tx)
            report.added = added.count
            report.updated = updated.count
            try await AuditLog.append(AuditEvent(
                action: "word_rule.imported", actor: caller.actor, targetType: "word_rules", targetID: caller.tenantID.lowercased,
                changes: ["added": .init(from: nil, to: String(report.added)), "updated": .init(from: nil, to: String(report.updated)),
                          "unchanged": .init(from: nil, to: String(report.unchanged)),
                          "invalid": .init(from: nil, to: String(report.invalid.count))],
                ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return report
        }
    }

    /// A line read as a rule: its fields, and which of them the line gave (the rest keep an
    /// existing rule's values on update).
    struct ImportedRule: Sendable {
        let line: Int
        var rule: WordRule
        let givesAction: Bool
        let givesCategory: Bool
        let givesSenders: Bool
        let givesEnabled: Bool
        let givesExceptions: Bool

        func merged(into before: WordRule) -> WordRule {
            var after = before
            after.pattern = rule.pattern
            if givesAction { after.action = rule.action }
            if givesCategory { after.category = rule.category }
            if givesSenders { after.senders = rule.senders }
            if givesEnabled { after.enabled = rule.enabled }
            if givesExceptions { after.exceptions = rule.exceptions }
            return after
        }
    }

    /// The valid lines as rules with their folded keys; the rest in `invalid`.
    func validate(_ entries: [WordList.Entry], defaults: ImportDefaults,
                  invalid: inout [WordImportReport.InvalidLine]) -> ([ImportedRule], [String]) {
        var rules: [ImportedRule] = []
        var keys: [String] = []
        var lineOfKey: [String: Int] = [:]
        for entry in entries {
            func refuse(_ message: String) { invalid.append(.init(line: entry.line, message: message)) }
            var action = defaults.action
            if let named = entry.action {
                guard let value = WordAction(rawValue: named.lowercased()) else {
                    refuse("action: expected block, mask or flag, not \"\(named)\"")
                    continue
                }
                action = value
            }
            let category = entry.category ?? defaults.category
            var senders = Set(WordSender.allCases)
            if let list = entry.senders {
                let named = list.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                let known = named.compactMap(WordSender.init(rawValue:))
                guard known.count == named.count, !known.isEmpty else {
                    refuse("senders: expected visitor, agent and/or bot joined by |, not \"\(list)\"")
                    continue
                }
                senders = Set(known)
            }
            var enabled = true
            if let text = entry.enabled {
                guard let value = ["true": true, "false": false, "1": true, "0": false, "yes": true, "no": false][text.lowercased()] else {
                    refuse("enabled: expected true or false, not \"\(text)\"")
                    continue
                }
                enabled = value
            }
            let exceptions = entry.exceptions.map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
            let rule = WordRule(pattern: entry.pattern, action: action ?? .mask, category: category ?? "default", senders: senders,
                                enabled: enabled, exceptions: exceptions)
            let key: String
            do {
                key = try validate(rule)
            } catch let error as InvalidFields {
                refuse(error.fields.map { "\($0.name): \($0.message)" }.joined(separator: "; "))
                continue
            } catch {
                refuse("\(error)")
                continue
            }
            if let earlier = lineOfKey[key] {
                refuse("the same word as line \(earlier) (once folded)")
                continue
            }
            lineOfKey[key] = entry.line
            rules.append(ImportedRule(line: entry.line, rule: rule, givesAction: action != nil, givesCategory: category != nil,
                                      givesSenders: entry.senders != nil, givesEnabled: entry.enabled != nil,
                                      givesExceptions: entry.exceptions != nil))
            keys.append(key)
        }
        return (rules, keys)
    }

    static func existingByKey(in tx: TenantTransaction) async throws -> [String: WordRule] {
        var rules: [String: WordRule] = [:]
        let rows = try await tx.query("SELECT pattern_key, \(unescaped: columns) FROM word_rules")
        for try await (key, id, pattern, action, category, senders, enabled, exceptions, _)
            in rows.decode((String, UUID, String, String, String, [String], Bool, [String], Int64).self) {
            rules[key] = WordRule(id: id, pattern: pattern, action: WordAction(rawValue: action) ?? .flag, category: category,
                                  senders: Set(senders.compactMap(WordSender.init(rawValue:))), enabled: enabled, exceptions: exceptions)
        }
        return rules
    }

    /// Rows travel as parallel arrays; a rule's senders and exceptions as text joined by a
    /// character no field may hold (validation refuses control characters).
    static let joiner = "\u{1F}"

    static func insert(_ rules: [WordRule], keys: [String], in tx: TenantTransaction) async throws {
        guard !rules.isEmpty else { return }
        try await tx.query("""
            INSERT INTO word_rules (tenant_id, id, pattern, pattern_key, action, category, senders, enabled, exceptions)
            SELECT \(tx.tenantID), u.id, u.p, u.k, u.a, u.c, string_to_array(u.s, \(joiner)), u.e,
                   coalesce(string_to_array(nullif(u.x, ''), \(joiner)), '{}')
            FROM \(rows(rules, keys: keys))
            """)
    }

    static func update(_ rules: [WordRule], keys: [String], in tx: TenantTransaction) async throws {
        guard !rules.isEmpty else { return }
        try await tx.query("""
            UPDATE word_rules w SET pattern = u.p, pattern_key = u.k, action = u.a, category = u.c, senders = string_to_array(u.s, \(joiner)),
                enabled = u.e, exceptions = coalesce(string_to_array(nullif(u.x, ''), \(joiner)), '{}'), updated_at = now()
            FROM \(rows(rules, keys: keys))
            WHERE w.id = u.id
            """)
    }

    /// `rules` as a table `u(id, p, k, a, c, s, e, x)`: one bound array per column.
    private static func rows(_ rules: [WordRule], keys: [String]) -> SQLFragment {
        """
        unnest(\(rules.map(\.id)), \(rules.map(\.pattern)), \(keys), \(rules.map(\.action.rawValue)), \(rules.map(\.category)),
               \(rules.map { sendersArray($0.senders).joined(separator: joiner) }), \(rules.map(\.enabled)),
               \(rules.map { $0.exceptions.joined(separator: joiner) })) AS u(id, p, k, a, c, s, e, x)
        """
    }

    /// Every rule of the tenant in creation order, for an export.
    public func all(tenantID: UUID) async throws -> [WordRule] {
        try await database.withTenant(tenantID) { tx in
            try await Self.decode(try await tx.query("SELECT \(unescaped: Self.columns) FROM word_rules ORDER BY created_at, id")).map(\.item)
        }
    }
}

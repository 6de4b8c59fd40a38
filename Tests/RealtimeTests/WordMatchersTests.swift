import Foundation
import Testing
import Tenancy
import TestSupport
@testable import Realtime

/// The per-tenant matcher cache: bounded by tenant count and by bytes, the least recently used
/// tenant dropped and built again from its rules when next needed; and while a tenant's rules
/// change, the matcher in use keeps serving until its replacement is ready.
@Suite struct WordMatchersTests {
    @Test func beyondItsTenantCountTheLeastRecentlyUsedMatcherIsDroppedAndBuiltAgainOnNextUse() async throws {
        try await Self.withTenants(3) { database, tenants in
            let (first, second, third) = (tenants[0], tenants[1], tenants[2])
            for (tenantID, word) in zip(tenants, ["甲词", "乙词", "丙词"]) { try await Self.setRules([word], tenantID: tenantID, in: database) }
            let matchers = WordMatchers(database: database, capacity: 2, logger: TestDatabase.logger)
            let firstMatcher = try #require(try await matchers.matcher(for: first))
            let secondMatcher = try #require(try await matchers.matcher(for: second))
            #expect(try await matchers.matcher(for: first) === firstMatcher, "a cached matcher serves again: the first tenant is now the most recently used")

            // Both tenants' rules change behind the cache's back (no notice): only a rebuilt
            // matcher can know.
            try await Self.setRules(["甲词", "新词"], tenantID: first, in: database)
            try await Self.setRules(["乙词", "新词"], tenantID: second, in: database)
            _ = try await matchers.matcher(for: third)
            #expect(matchers.footprint.tenants == 2, "a third tenant beyond a capacity of two drops one")

            let firstAgain = try await matchers.matcher(for: first)
            #expect(firstAgain === firstMatcher, "the recently used tenant's matcher stayed")
            #expect(Self.masked(firstAgain, "甲词新词") == "**新词")
            let secondAgain = try await matchers.matcher(for: second)
            #expect(secondAgain !== secondMatcher, "the least recently used tenant's matcher was dropped")
            #expect(Self.masked(secondAgain, "乙词新词") == "****", "and built again from the rules as they are now")
            #expect(matchers.footprint.tenants == 2)
        }
    }

    @Test func beyondItsByteBudgetTheLeastRecentlyUsedMatcherIsDropped() async throws {
        try await Self.withTenants(3) { database, tenants in
            let (first, second, third) = (tenants[0], tenants[1], tenants[2])
            let patterns = (0..<300).map { "敏感词\($0)号" }
            for tenantID in tenants { try await Self.setRules(patterns, tenantID: tenantID, in: database) }
            let one = WordMatcher(rules: patterns.map { WordRule(pattern: $0, action: .mask) }).size.bytes
            #expect(one > 10_000, "each matcher is big enough for the budget to tell them apart")
            // Room for two matchers, not three; the tenant count is no limit here.
            let budget = one * 5 / 2
            let matchers = WordMatchers(database: database, capacity: 100, capacityBytes: budget, logger: TestDatabase.logger)
            let firstMatcher = try await matchers.matcher(for: first)
            let secondMatcher = try await matchers.matcher(for: second)
            #expect(matchers.footprint.tenants == 2)
            _ = try await matchers.matcher(for: first)
            _ = try await matchers.matcher(for: third)
            let footprint = matchers.footprint
            #expect(footprint.tenants == 2 && footprint.bytes <= budget, "\(footprint) against a budget of \(budget)")
            #expect(try await matchers.matcher(for: first) === firstMatcher, "the recently used tenant's matcher stayed")
            #expect(try await matchers.matcher(for: second) !== secondMatcher, "the least recently used one was dropped and built again")
            #expect(matchers.footprint.bytes <= budget)
        }
    }

    @Test func whileRulesChangeTheOldMatcherServesUntilTheNewOneIsReady() async throws {
        try await Self.withTenants(1) { database, tenants in
            let tenantID = tenants[0]
            let text = "旧词新词"
            try await Self.setRules(["旧词"], tenantID: tenantID, in: database)
            let matchers = WordMatchers(database: database, logger: TestDatabase.logger)
            let old = try #require(try await matchers.matcher(for: tenantID))
            #expect(Self.masked(old, text) == "**新词")

            // Checks all along, as messages would make them: each answer is the masked text, or
            // nil when no matcher was there.
            let checks = Task { () async throws -> [String?] in
                var seen: [String?] = []
                while !Task.isCancelled {
                    seen.append(Self.masked(try await matchers.matcher(for: tenantID), text))
                    try? await Task.sleep(for: .milliseconds(2))
                }
                return seen
            }
            try await Self.setRules(["新词"], tenantID: tenantID, in: database)

            // The rebuild's read of the rules waits behind a lock another transaction holds, until
            // released (or five seconds passed: a matcher that waited for the rebuild then fails
            // the checks below rather than hanging the test).
            let (locked, lockedContinuation) = AsyncStream<Void>.makeStream()
            let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
            let holder = Task {
                defer { lockedContinuation.finish() }
                try await database.withTenant(tenantID) { tx in
                    try await tx.query("LOCK TABLE word_rules IN ACCESS EXCLUSIVE MODE")
                    lockedContinuation.finish()
                    for await _ in release {}
                }
            }
            // Only so a failing test cannot hang: long enough that a busy machine never releases the
            // lock while the old matcher is still being checked (5 s did, under a full CI run).
            let safety = Task {
                try? await Task.sleep(for: .seconds(60))
                releaseContinuation.finish()
            }
            for await _ in locked {}
            let rebuilt = Task { await matchers.rulesChanged(tenantID: tenantID) }
            try await Self.waitUntil("the rebuild waits for the rules") {
                try await database.withTenant(tenantID) { tx in
                    let rows = try await tx.query("SELECT count(*)::int FROM pg_locks WHERE relation = 'word_rules'::regclass AND NOT granted")
                    for try await count in rows.decode(Int.self) { return count > 0 }
                    return false
                }
            }
            for _ in 0..<20 {
                let current = try await matchers.matcher(for: tenantID)
                #expect(current === old, "the old matcher serves while the new one is built")
                #expect(Self.masked(current, text) == "**新词")
                try await Task.sleep(for: .milliseconds(10))
            }
            releaseContinuation.finish()
            try await holder.value
            safety.cancel()
            await rebuilt.value
            let new = try await matchers.matcher(for: tenantID)
            #expect(Self.masked(new, text) == "旧词**", "once rulesChanged returns, the new rules apply")
            try await Task.sleep(for: .milliseconds(50))
            checks.cancel()
            let seen = try await checks.value
            #expect(!seen.contains(nil), "never no matcher")
            let switched = seen.firstIndex(of: "旧词**") ?? seen.count
            #expect(seen[..<switched].allSatisfy { $0 == "**新词" } && seen[switched...].allSatisfy { $0 == "旧词**" },
                    "old rules, then new ones, never back: \(seen)")
            #expect(seen.first == "**新词" && seen.last == "旧词**")
        }
    }

    // MARK: - Helpers

    /// `count` new tenants on a fresh database.
    static func withTenants(_ count: Int, _ body: @Sendable (Database, [UUID]) async throws -> Void) async throws {
        try await TestDatabase.withServing { database, _ in
            let directory = TenantDirectory(database: database)
            var tenants: [UUID] = []
            for index in 0..<count { tenants.append(try await directory.create(slug: "tenant-\(index)", name: "Tenant \(index)").id) }
            try await body(database, tenants)
        }
    }

    /// Replaces the tenant's rules with `mask` rules for `patterns`, in SQL (no matcher is told).
    static func setRules(_ patterns: [String], tenantID: UUID, in database: Database) async throws {
        try await database.withTenant(tenantID) { tx in
            try await tx.query("DELETE FROM word_rules")
            let keys = patterns.map { WordNormalizer.standard.keyText(of: $0) }
            try await tx.query("""
                INSERT INTO word_rules (tenant_id, pattern, pattern_key, action)
                SELECT \(tenantID), pattern, key, 'mask' FROM unnest(\(patterns)::text[], \(keys)::text[]) AS u(pattern, key)
                """)
        }
    }

    static func masked(_ matcher: WordMatcher?, _ text: String) -> String? {
        matcher?.check(text, sender: .visitor).text
    }

    static func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestSetupError("timed out: \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

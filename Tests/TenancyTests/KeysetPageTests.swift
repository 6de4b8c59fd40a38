import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Tenancy

@Suite struct KeysetPageTests {
    /// Reads every team name of `tenantID` whose name starts with `prefix`, `limit` at a time.
    func allPages(_ database: Database, tenantID: UUID, prefix: String, limit: Int) async throws -> [[String]] {
        var pages: [[String]] = []
        var request = PageRequest(limit: limit)
        repeat {
            let page = try await database.keysetPage(
                request, tenantID: tenantID, columns: "name, (extract(epoch FROM created_at) * 1000000)::bigint, id",
                from: "teams", where: "name LIKE \(prefix + "%")"
            ) { rows in
                var items: [(item: String, cursor: PageCursor)] = []
                for try await (name, micros, id) in rows.decode((String, Int64, UUID).self) {
                    items.append((name, PageCursor(createdAtMicros: micros, id: id)))
                }
                return items
            }
            pages.append(page.items)
            request.after = page.next
        } while request.after != nil
        return pages
    }

    @Test func pagingVisitsEveryMatchingRowOnceEvenWhenRowsShareACreationTime() async throws {
        try await TestDatabase.withServing { database, _ in
            let tenant = try await TenantDirectory(database: database).create(slug: "tenant-a", name: "A")
            try await database.withTenant(tenant.id) { tx in
                // One statement: all five rows get the same created_at, so only the id breaks ties.
                try await tx.query("""
                    INSERT INTO teams (tenant_id, name)
                    SELECT \(tenant.id), 'team-' || n FROM generate_series(1, 5) AS n
                    UNION ALL SELECT \(tenant.id), 'other'
                    """)
            }
            let pages = try await allPages(database, tenantID: tenant.id, prefix: "team-", limit: 2)
            #expect(pages.map(\.count) == [2, 2, 1])
            #expect(pages.flatMap { $0 }.sorted() == (1...5).map { "team-\($0)" })
        }
    }

    @Test func aCursorConditionBindsItsValuesInsteadOfWritingThemIntoTheSQL() {
        let cursor = PageCursor(createdAtMicros: 1_700_000_000_123_456, id: UUID())
        let query: PostgresQuery = "SELECT 1 FROM teams WHERE \(PageRequest(after: cursor).afterCondition)"
        let first: PostgresQuery = "SELECT 1 FROM teams WHERE \(PageRequest().afterCondition)"
        #expect(query.binds.count == 2)
        #expect(!query.sql.contains("1700000000123456"))
        #expect(!query.sql.contains(cursor.id.uuidString.lowercased()))
        #expect(query.sql.contains("$1") && query.sql.contains("$2"))
        #expect(first.sql == "SELECT 1 FROM teams WHERE true" && first.binds.count == 0)
    }

    @Test func aFragmentsValuesAreNumberedAfterTheQuerysOwn() {
        let fragment: SQLFragment = "name = \("a") AND id = \(UUID?.none)"
        let query: PostgresQuery = "SELECT \(1) WHERE \(fragment) AND \(true)"
        #expect(query.sql == "SELECT $1 WHERE name = $2 AND id = $3 AND $4")
        #expect(query.binds.count == 4)
    }
}

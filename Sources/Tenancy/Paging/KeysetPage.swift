import Foundation
import PostgresNIO

extension Database {
    /// One page of a tenant's rows in creation order, the shape every admin list shares: selects
    /// `columns` from `table` where `filter` holds and the row comes after `page`'s cursor,
    /// ordered by `(created_at, id)`, reading one extra row only to tell whether more exist.
    ///
    /// - Parameters:
    ///   - columns: fixed SQL text (never values); `decode` reads the rows it yields.
    ///   - decode: each row's item and its cursor (`created_at` in microseconds and id).
    public func keysetPage<Item: Sendable>(
        _ page: PageRequest,
        tenantID: UUID,
        columns: String,
        from table: String,
        where filter: SQLFragment = "true",
        decode: (PostgresRowSequence) async throws -> [(item: Item, cursor: PageCursor)]
    ) async throws -> Page<Item> {
        try await withTenant(tenantID) { tx in
            let rows = try await tx.query("""
                SELECT \(unescaped: columns) FROM \(unescaped: table)
                WHERE (\(filter)) AND \(page.afterCondition)
                ORDER BY created_at, id LIMIT \(page.limit + 1)
                """)
            return Page(rows: try await decode(rows), limit: page.limit)
        }
    }
}

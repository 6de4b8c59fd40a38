import Logging
import PostgresNIO

/// The message writer's batch: the one write serving code makes outside a tenant's scope, since
/// a batch holds many tenants' messages (the SQL function it calls switches `app.tenant_id` per
/// tenant, and row-level security still checks every row). It may only run queries; the
/// transaction around them, and what is safe on a connection that died, are this module's.
public struct AppendTransaction: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try DatabaseError.checkOpen(connection)
        return try await connection.query(query, logger: logger)
    }
}

extension Database {
    /// Runs `body` in an explicit transaction on a writer connection, with every round trip
    /// bounded by `deadline` (see `withConnection(for:deadline:)`). COMMIT has returned when this
    /// returns, so a sender told of success can never hear of a failure later. After an error,
    /// ROLLBACK is written only to a connection still open (postgres-nio never answers a query
    /// written to a closed one).
    public func withAppendTransaction<Result: Sendable>(
        deadline: Duration, _ body: @escaping @Sendable (AppendTransaction) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        return try await withConnection(for: .writer, deadline: deadline) { connection in
            try await Self.inTransaction(on: connection, logger: logger) { connection in
                try await body(AppendTransaction(connection: connection, logger: logger))
            }
        }
    }
}

import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The serving database: a connection pool whose every connection runs as the restricted
/// `kefu_app` role, and the only way serving code reaches PostgreSQL.
///
/// Every tenant-owned table has row-level security keyed on `app.tenant_id`, which
/// `withTenant` sets for exactly one transaction (`set_config(..., true)`); outside such a
/// transaction those tables look empty. The pool itself stays private so no caller can bypass
/// that scope; `Database` is the `Service` that runs it: add it to the service group.
public final class Database: Service, Sendable {
    let client: PostgresClient
    public let maximumConnections: Int
    let applicationName: String
    public let logger: Logger
    let holders = ConnectionHolders()
    private let started = Atomic<Bool>(false)
    /// The deadlines of `withConnection(for:deadline:)`'s round trips; runs with the pool.
    let watchdog = Watchdog(tick: .milliseconds(100))

    /// - Parameters:
    ///   - role: the role each connection assumes at start; `nil` only for tools that own the schema.
    public init(endpoint: DatabaseEndpoint, role: String? = Tenancy.servingRole, maximumConnections: Int, applicationName: String, logger: Logger) throws {
        self.maximumConnections = maximumConnections
        self.applicationName = applicationName
        self.logger = logger
        self.client = PostgresClient(
            configuration: try endpoint.poolConfiguration(role: role, maximumConnections: maximumConnections, applicationName: applicationName),
            backgroundLogger: logger
        )
    }

    /// Runs the connection pool until the task is cancelled or the service group shuts down.
    public func run() async {
        started.store(true, ordering: .releasing)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchdog.run() }
            await client.run()
            // The pool has stopped (graceful shutdown, or cancelled): no round trip is left to watch.
            group.cancelAll()
        }
    }

    /// Runs `body` while the pool runs, for work before or outside a service group (start-up
    /// checks, command-line tools); the pool stops when `body` returns. The first lease waits
    /// until the pool has started (postgres-nio warns about a lease taken before).
    public func whileRunning<Result: Sendable>(_ body: @Sendable (Database) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            while !started.load(ordering: .acquiring) { await Task.yield() }
            await Task.yield()
            return try await body(self)
        }
    }

    /// Runs `body` in one transaction scoped to `tenantID`: row-level security shows and accepts
    /// only that tenant's rows. Commits when `body` returns, rolls back when it throws, and rethrows
    /// `body`'s own error unchanged.
    @discardableResult
    public func withTenant<Result: Sendable>(
        _ tenantID: UUID,
        _ body: (TenantTransaction) async throws -> Result
    ) async throws -> Result {
        try await transaction { connection in
            try await connection.query("SELECT set_config('app.tenant_id', \(tenantID.uuidString.lowercased()), true)", logger: logger)
            return try await body(TenantTransaction(tenantID: tenantID, connection: connection, logger: logger))
        }
    }

    /// Runs `body` in one transaction with no tenant set: for platform-wide tables such as
    /// `tenants`. Tenant-owned tables are invisible here.
    ///
    /// Internal on purpose: a raw connection outside Tenancy could set any tenant or none, so
    /// other modules get the named exceptions built on it instead (`TenantDirectory`'s reads
    /// and `create(slug:name:_:)`, `migrationStatus(of:)`, `openConnections()`).
    func withoutTenant<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await transaction(body)
    }

    /// Connections currently lent out by this process, by what holds them.
    public var connectionsInUse: [ConnectionHolder: Int] { holders.snapshot() }

    /// Connections this node holds open to the server (in use or idle), counted by PostgreSQL.
    public func openConnections() async throws -> Int {
        try await withoutTenant { connection in
            let rows = try await connection.query(
                "SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(applicationName)", logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    private func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.withConnection { connection in
            holders.add(.request)
            defer { holders.remove(.request) }
            try DatabaseError.checkOpen(connection)
            return try await Self.inTransaction(on: connection, logger: logger, body)
        }
    }

    /// BEGIN, `body`, COMMIT on `connection`; after an error, ROLLBACK only on a connection still
    /// open (a query written to a closed one is never answered: postgres-nio drops it). Runs in its
    /// caller's isolation (`nonisolated(nonsending)`), so `body` never crosses a boundary.
    nonisolated(nonsending) static func inTransaction<Result: Sendable>(
        on connection: PostgresConnection, logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await connection.query("BEGIN", logger: logger)
        let result: Result
        do {
            result = try await body(connection)
        } catch {
            if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
            throw error
        }
        try DatabaseError.checkOpen(connection)
        try await connection.query("COMMIT", logger: logger)
        return result
    }
}

/// One open transaction scoped to one tenant. Valid only inside `Database.withTenant` (or
/// `TenantDirectory.create(slug:name:_:)`). Its connection stays internal to Tenancy: callers
/// query through `query(_:)`, so nothing outside can change the transaction's tenant.
public struct TenantTransaction {
    public let tenantID: UUID
    let connection: PostgresConnection
    public let logger: Logger

    @discardableResult
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try DatabaseError.checkOpen(connection)
        return try await connection.query(query, logger: logger, file: file, line: line)
    }
}

import Foundation
import Logging
import PostgresNIO

/// Creates, finds and lists tenants. The `tenants` table is platform-wide; each tenant's
/// own rows are created inside that tenant's scope.
public struct TenantDirectory: Sendable {
    public static let demoSlug = "demo"
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Creates a tenant and its default settings in one transaction.
    /// Throws `TenantError` for an invalid or taken slug or an invalid name.
    public func create(slug: String, name: String) async throws -> Tenant {
        try await create(slug: slug, name: name) { tenant, _ in tenant }
    }

    /// Creates a tenant and its default settings, then runs `body` in the same transaction,
    /// scoped to the new tenant, so the tenant's first rows (roles, owner, audit chain) commit
    /// with it or not at all. Throws `TenantError` as `create(slug:name:)` does, else `body`'s
    /// error; nothing is created when either throws.
    public func create<Result: Sendable>(
        slug: String, name: String, _ body: (Tenant, TenantTransaction) async throws -> Result
    ) async throws -> Result {
        let logger = database.logger
        return try await database.withoutTenant { connection in
            let tenant = try await Self.insert(slug: slug, name: name, on: connection, logger: logger)
            return try await body(tenant, TenantTransaction(tenantID: tenant.id, connection: connection, logger: logger))
        }
    }

    /// The ids of the tenants whose status is `active`: the tenants background work (waking
    /// snoozed conversations, auto-resolving idle ones) visits.
    public func activeTenantIDs() async throws -> [UUID] {
        try await database.withoutTenant { connection in
            var ids: [UUID] = []
            let rows = try await connection.query("SELECT id FROM tenants WHERE status = 'active'", logger: database.logger)
            for try await id in rows.decode(UUID.self) { ids.append(id) }
            return ids
        }
    }

    /// Inserts a tenant and its settings inside the caller's transaction, and leaves that
    /// transaction scoped to the new tenant so the caller can add the tenant's first rows.
    private static func insert(slug: String, name: String, on connection: PostgresConnection, logger: Logger) async throws -> Tenant {
        try TenantError.validate(slug: slug, name: name)
        do {
            let rows = try await connection.query("""
                INSERT INTO tenants (slug, name) VALUES (\(slug), \(name))
                RETURNING id, slug, name, status, created_at
                """, logger: logger)
            guard let tenant = try await decode(rows).first else { throw TenantError.notFound(slug) }
            try await connection.query("SELECT set_config('app.tenant_id', \(tenant.id.uuidString.lowercased()), true)", logger: logger)
            try await connection.query("INSERT INTO tenant_settings (tenant_id) VALUES (\(tenant.id))", logger: logger)
            return tenant
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw TenantError.slugTaken(slug)
        }
    }

    /// Whether the installation has no tenant yet.
    public func isEmpty() async throws -> Bool {
        try await database.withoutTenant { connection in
            let rows = try await connection.query("SELECT NOT EXISTS (SELECT 1 FROM tenants)", logger: database.logger)
            for try await empty in rows.decode(Bool.self) { return empty }
            return true
        }
    }

    public func list() async throws -> [Tenant] {
        try await database.withoutTenant { connection in
            try await Self.decode(connection.query(
                "SELECT id, slug, name, status, created_at FROM tenants ORDER BY created_at, slug", logger: database.logger))
        }
    }

    public func find(slug: String) async throws -> Tenant? {
        try await database.withoutTenant { connection in
            try await Self.decode(connection.query(
                "SELECT id, slug, name, status, created_at FROM tenants WHERE slug = \(slug)", logger: database.logger)).first
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Tenant] {
        var tenants: [Tenant] = []
        for try await (id, slug, name, status, createdAt) in rows.decode((UUID, String, String, String, Date).self) {
            tenants.append(Tenant(id: id, slug: slug, name: name, status: status, createdAt: createdAt))
        }
        return tenants
    }
}

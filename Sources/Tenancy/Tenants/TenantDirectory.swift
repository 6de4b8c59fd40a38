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
        try TenantError.validate(slug: slug, name: name)
        do {
            return try await database.withoutTenant { connection in
                let rows = try await connection.query("""
                    INSERT INTO tenants (slug, name) VALUES (\(slug), \(name))
                    RETURNING id, slug, name, status, created_at
                    """, logger: database.logger)
                guard let tenant = try await Self.decode(rows).first else {
                    throw TenantError.notFound(slug)
                }
                try await connection.query("SELECT set_config('app.tenant_id', \(tenant.id.uuidString.lowercased()), true)", logger: database.logger)
                try await connection.query("INSERT INTO tenant_settings (tenant_id) VALUES (\(tenant.id))", logger: database.logger)
                return tenant
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw TenantError.slugTaken(slug)
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

    /// Creates the `demo` tenant when the installation has no tenant at all; returns it if created.
    public func seedDemoIfEmpty() async throws -> Tenant? {
        let existing = try await database.withoutTenant { connection in
            let rows = try await connection.query("SELECT count(*)::int FROM tenants", logger: database.logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
        guard existing == 0 else { return nil }
        do {
            return try await create(slug: Self.demoSlug, name: "Demo")
        } catch TenantError.slugTaken {
            return nil // another node seeded it first
        }
    }

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Tenant] {
        var tenants: [Tenant] = []
        for try await (id, slug, name, status, createdAt) in rows.decode((UUID, String, String, String, Date).self) {
            tenants.append(Tenant(id: id, slug: slug, name: name, status: status, createdAt: createdAt))
        }
        return tenants
    }
}

import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Tenancy

@Suite struct TenantIsolationTests {
    let logger = TestDatabase.logger

    @Test func aQueryThatForgetsItsTenantStillSeesOnlyThatTenantsRows() async throws {
        try await TestDatabase.withServing { database, _ in
            let directory = TenantDirectory(database: database)
            let a = try await directory.create(slug: "tenant-a", name: "A")
            let b = try await directory.create(slug: "tenant-b", name: "B")
            try await database.withTenant(b.id) { tx in
                try await tx.query("UPDATE tenant_settings SET locale = 'en'")
            }
            let seenByA = try await database.withTenant(a.id) { tx in
                // No WHERE tenant_id: row-level security must filter.
                var seen: [(UUID, String)] = []
                for try await row in try await tx.query("SELECT tenant_id, locale FROM tenant_settings").decode((UUID, String).self) {
                    seen.append(row)
                }
                return seen.map { "\($0.0):\($0.1)" }
            }
            #expect(seenByA == ["\(a.id):zh-CN"])
        }
    }

    @Test func withNoTenantSetTenantTablesLookEmpty() async throws {
        try await TestDatabase.withServing { database, _ in
            _ = try await TenantDirectory(database: database).create(slug: "tenant-a", name: "A")
            let count = try await database.withoutTenant { connection in
                let rows = try await connection.query("SELECT count(*)::int FROM tenant_settings", logger: logger)
                var count = -1
                for try await value in rows.decode(Int.self) { count = value }
                return count
            }
            #expect(count == 0)
        }
    }

    @Test func aTenantCannotWriteRowsForAnotherTenant() async throws {
        try await TestDatabase.withServing { database, _ in
            let directory = TenantDirectory(database: database)
            let a = try await directory.create(slug: "tenant-a", name: "A")
            let b = try await directory.create(slug: "tenant-b", name: "B")
            await #expect(throws: PSQLError.self) {
                try await database.withTenant(a.id) { tx in
                    try await tx.query("INSERT INTO tenant_settings (tenant_id) VALUES (\(b.id)) ON CONFLICT (tenant_id) DO UPDATE SET locale = 'en'")
                }
            }
            let updated = try await database.withTenant(a.id) { tx in
                var count = 0
                for try await value in try await tx.query("WITH changed AS (UPDATE tenant_settings SET locale = 'en' WHERE tenant_id = \(b.id) RETURNING 1) SELECT count(*)::int FROM changed").decode(Int.self) {
                    count = value
                }
                return count
            }
            #expect(updated == 0)
        }
    }

    @Test func servingConnectionsRunAsTheRestrictedRole() async throws {
        try await TestDatabase.withServing { database, _ in
            let (user, superuser, bypass) = try await database.withoutTenant { connection in
                let rows = try await connection.query(
                    "SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user", logger: logger)
                for try await row in rows.decode((String, Bool, Bool).self) { return row }
                return ("", true, true)
            }
            #expect(user == Tenancy.servingRole)
            #expect(!superuser)
            #expect(!bypass)
        }
    }

    /// Guards every future migration: a tenant-owned table must lead its primary key with
    /// tenant_id, enable and force row-level security, and not belong to the serving role.
    @Test func everyTenantOwnedTableFollowsTheIsolationRules() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            try await endpoint.withConnection(logger: logger) { connection in
                let rows = try await connection.query("""
                    SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
                           pg_get_userbyid(c.relowner)::text,
                           (SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                             WHERE i.indrelid = c.oid AND i.indisprimary),
                           (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r'
                      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                    ORDER BY 1
                    """, logger: logger)
                var checked = 0
                for try await (table, rls, forced, owner, firstKey, policies) in rows.decode((String, Bool, Bool, String, String?, Int).self) {
                    #expect(rls, "\(table): row-level security is off")
                    // Searched through owner-run functions that name the tenant themselves
                    // (Migrations/0023): `@@` cannot use an index under row-level security.
                    let searchedByOwner: Set = ["knowledge_chunks", "faq_entries"]
                    #expect(forced || searchedByOwner.contains(table), "\(table): row-level security is not forced")
                    #expect(owner != Tenancy.servingRole, "\(table) is owned by the serving role")
                    #expect(firstKey == "tenant_id", "\(table): primary key does not start with tenant_id")
                    #expect(policies > 0, "\(table): no policy")
                    checked += 1
                }
                #expect(checked >= 1)
            }
        }
    }

    @Test func tenantSlugsAreValidatedAndUnique() async throws {
        try await TestDatabase.withServing { database, _ in
            let directory = TenantDirectory(database: database)
            _ = try await directory.create(slug: "acme", name: "Acme")
            await #expect(throws: TenantError.slugTaken("acme")) { try await directory.create(slug: "acme", name: "Other") }
            await #expect(throws: TenantError.invalidSlug("Bad Slug")) { try await directory.create(slug: "Bad Slug", name: "x") }
            await #expect(throws: TenantError.invalidName) { try await directory.create(slug: "fine", name: "  ") }
            #expect(try await directory.list().map(\.slug) == ["acme"])
            #expect(try await directory.find(slug: "acme")?.name == "Acme")
            #expect(try await directory.find(slug: "nobody") == nil)
        }
    }
}

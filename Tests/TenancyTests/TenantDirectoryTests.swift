import Foundation
import PostgresNIO
import Testing
import TestSupport
import Tenancy

/// The named exceptions `TenantDirectory` offers instead of a raw connection: creating a tenant
/// together with its first rows, and the tenants background work visits.
@Suite struct TenantDirectoryTests {
    struct FirstRowsFailed: Error {}

    @Test func aTenantAndItsFirstRowsCommitTogetherOrNotAtAll() async throws {
        try await TestDatabase.withServing { database, _ in
            let directory = TenantDirectory(database: database)
            let created = try await directory.create(slug: "tenant-a", name: "A") { tenant, tx in
                // The body's transaction is scoped to the new tenant, so its rows pass row-level security.
                var scope = ""
                for try await value in try await tx.query("SELECT current_setting('app.tenant_id')").decode(String.self) { scope = value }
                #expect(scope == tenant.id.uuidString.lowercased())
                #expect(tx.tenantID == tenant.id)
                try await tx.query("UPDATE tenant_settings SET locale = 'en'")
                return tenant
            }
            let locale = try await database.withTenant(created.id) { tx in
                var locale = ""
                for try await value in try await tx.query("SELECT locale FROM tenant_settings").decode(String.self) { locale = value }
                return locale
            }
            #expect(locale == "en")

            await #expect(throws: FirstRowsFailed.self) {
                try await directory.create(slug: "tenant-b", name: "B") { _, tx in
                    try await tx.query("UPDATE tenant_settings SET locale = 'en'")
                    throw FirstRowsFailed()
                }
            }
            #expect(try await directory.find(slug: "tenant-b") == nil)
            #expect(try await directory.list().map(\.slug) == ["tenant-a"])
        }
    }

    @Test func activeTenantIDsLeaveOutSuspendedTenants() async throws {
        try await TestDatabase.withServing { database, endpoint in
            let directory = TenantDirectory(database: database)
            let active = try await directory.create(slug: "tenant-a", name: "A")
            let suspended = try await directory.create(slug: "tenant-b", name: "B")
            try await endpoint.withConnection(logger: TestDatabase.logger) { connection in
                _ = try await connection.query("UPDATE tenants SET status = 'suspended' WHERE id = \(suspended.id)", logger: TestDatabase.logger)
            }
            #expect(try await directory.activeTenantIDs() == [active.id])
        }
    }
}

import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Tenancy

/// A request's transaction has a deadline of its own: a round trip that never answers (a lock
/// never released, a connection that died silently) is cut, rolled back, and answered.
@Suite struct TransactionDeadlineTests {
    @Test func aTransactionPastItsDeadlineIsCutRolledBackAndThePoolServesTheNext() async throws {
        try await TestDatabase.withServing { database, _ in
            let tenant = try await TenantDirectory(database: database).create(slug: "tenant-a", name: "A")
            let started = ContinuousClock.now
            await #expect(throws: DatabaseError.deadlineExceeded(.milliseconds(300))) {
                try await database.withTenant(tenant.id, deadline: .milliseconds(300)) { tx in
                    try await tx.query("UPDATE tenant_settings SET locale = 'en'")
                    try await tx.query("SELECT pg_sleep(30)")
                }
            }
            let waited = ContinuousClock.now - started
            #expect(waited < .seconds(5), "answered at the deadline, not after the sleep (\(waited))")
            let locale = try await database.withTenant(tenant.id) { tx in
                var locale = ""
                for try await value in try await tx.query("SELECT locale FROM tenant_settings").decode(String.self) { locale = value }
                return locale
            }
            #expect(locale == "zh-CN", "the cut transaction rolled back")
        }
    }

    @Test func aTransactionWaitingForALockIsCutAtItsDeadline() async throws {
        try await TestDatabase.withServing { database, _ in
            let tenant = try await TenantDirectory(database: database).create(slug: "tenant-a", name: "A")
            let (locked, lockTaken) = AsyncStream.makeStream(of: Void.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await database.withTenant(tenant.id) { tx in
                        try await tx.query("SELECT 1 FROM tenant_settings FOR UPDATE")
                        lockTaken.yield()
                        try await tx.query("SELECT pg_sleep(2)")
                    }
                }
                for await _ in locked { break }
                await #expect(throws: DatabaseError.deadlineExceeded(.milliseconds(300))) {
                    try await database.withTenant(tenant.id, deadline: .milliseconds(300)) { tx in
                        try await tx.query("UPDATE tenant_settings SET locale = 'en'")
                    }
                }
                try await group.waitForAll()
            }
            let locale = try await database.withTenant(tenant.id) { tx in
                var locale = ""
                for try await value in try await tx.query("SELECT locale FROM tenant_settings").decode(String.self) { locale = value }
                return locale
            }
            #expect(locale == "zh-CN", "the refused update changed nothing")
        }
    }
}

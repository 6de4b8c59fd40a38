import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Tenancy

@Suite struct MigratorTests {
    let logger = TestDatabase.logger

    @Test func appliesEveryMigrationInOrderAndRecordsItsChecksum() async throws {
        let migrations = try TestDatabase.migrations()
        try await TestDatabase.with(migrated: false) { endpoint in
            try await endpoint.withConnection(logger: logger) { connection in
                let migrator = Migrator(migrations: migrations)
                let applied = try await migrator.migrate(on: connection, logger: logger)
                #expect(applied.map(\.version) == Array(1...migrations.count))
                let status = try await migrator.status(on: connection, logger: logger)
                #expect(status.isCurrent)
                #expect(status.applied.map(\.checksum) == migrations.map(\.checksum))
                // A second run has nothing to do.
                #expect(try await migrator.migrate(on: connection, logger: logger).isEmpty)
            }
        }
    }

    @Test func statusListsPendingMigrationsWithoutApplyingThem() async throws {
        try await TestDatabase.with(migrated: false) { endpoint in
            try await endpoint.withConnection(logger: logger) { connection in
                let migrator = Migrator(migrations: try TestDatabase.migrations())
                let status = try await migrator.status(on: connection, logger: logger)
                #expect(status.applied.isEmpty)
                #expect(status.pending.count == migrator.migrations.count)
                let rows = try await connection.query("SELECT to_regclass('tenants') IS NULL", logger: logger)
                for try await absent in rows.decode(Bool.self) { #expect(absent) }
            }
        }
    }

    @Test func refusesAnAppliedMigrationThatWasEdited() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            try await endpoint.withConnection(logger: logger) { connection in
                var migrations = try TestDatabase.migrations()
                let first = migrations[0]
                migrations[0] = Migration(version: first.version, name: first.name, sql: first.sql + "\n-- edited\n")
                await #expect(throws: DatabaseError.migrationEdited(version: 1, name: first.name)) {
                    try await Migrator(migrations: migrations).migrate(on: connection, logger: logger)
                }
                #expect(DatabaseError.migrationEdited(version: 1, name: "init").description.contains("0001_init was edited"))
            }
        }
    }

    @Test func aFailingMigrationIsRolledBackWhole() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            try await endpoint.withConnection(logger: logger) { connection in
                let broken = try TestDatabase.migrations() + [Migration(
                    version: 99, name: "broken",
                    sql: "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;")]
                do {
                    try await Migrator(migrations: broken).migrate(on: connection, logger: logger)
                    Issue.record("a broken migration was applied")
                } catch let error as DatabaseError {
                    guard case .migrationFailed(99, "broken", let reason) = error else { throw error }
                    #expect(reason.contains("no_such_table"))
                }
                let rows = try await connection.query("SELECT to_regclass('half_done') IS NULL, (SELECT count(*)::int FROM schema_migrations WHERE version = 99)", logger: logger)
                for try await (absent, recorded) in rows.decode((Bool, Int).self) {
                    #expect(absent)
                    #expect(recorded == 0)
                }
            }
        }
    }

    @Test func concurrentStartsApplyEachMigrationExactlyOnce() async throws {
        try await TestDatabase.with(migrated: false) { endpoint in
            let migrations = try TestDatabase.migrations()
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await endpoint.withConnection(logger: logger) { connection in
                            try await Migrator(migrations: migrations).migrate(on: connection, logger: logger).count
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.reduce(0, +) == migrations.count)
            #expect(counts.filter { $0 > 0 }.count == 1)
        }
    }

    @Test func refusesADatabaseNewerThanTheBuild() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            try await endpoint.withConnection(logger: logger) { connection in
                try await connection.query("INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES (999, 'future', 'x', 0)", logger: logger)
                await #expect(throws: DatabaseError.migrationMissing(version: 999, name: "future")) {
                    try await Migrator(migrations: TestDatabase.migrations()).status(on: connection, logger: logger)
                }
            }
        }
    }

    @Test func loadingRefusesGapsAndMisnamedFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-migrations-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        try "SELECT 3;".write(to: directory.appendingPathComponent("0003_third.sql"), atomically: true, encoding: .utf8)
        #expect(throws: DatabaseError.self) { try Migration.load(from: directory) }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("0003_third.sql"))
        try "SELECT 2;".write(to: directory.appendingPathComponent("2_second.sql"), atomically: true, encoding: .utf8)
        #expect(throws: DatabaseError.self) { try Migration.load(from: directory) }
    }
}

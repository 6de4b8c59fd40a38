import Foundation
import Logging
import PostgresNIO

/// A migration recorded in `schema_migrations`.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date
}

/// Where the database stands against the migrations this build carries.
public struct MigrationStatus: Sendable {
    public let applied: [AppliedMigration]
    public let pending: [Migration]

    /// Nothing pending and nothing edited or unknown.
    public var isCurrent: Bool { pending.isEmpty }
}

/// Applies `Migrations/NNNN_name.sql` in order, each in its own transaction, recording each with
/// its checksum. A session advisory lock makes concurrent starts take turns, so two nodes never
/// both apply a migration.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    private static let lockKey: Int64 = 0x6B65_6675_6D69_6772 // "kefumigr"

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// Applies every pending migration and returns those applied now.
    /// Throws `DatabaseError` when a migration fails (it is rolled back), when an applied one
    /// was edited, or when the database knows a migration this build lacks.
    @discardableResult
    public func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
        do {
            let applied = try await apply(on: connection, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            throw error
        }
    }

    /// Reads what is applied and what is pending without changing anything.
    public func status(on connection: PostgresConnection, logger: Logger) async throws -> MigrationStatus {
        let rows = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        var exists = false
        for try await value in rows.decode(Bool.self) { exists = value }
        let applied = exists ? try await readApplied(on: connection, logger: logger) : []
        return try check(applied: applied)
    }

    /// Compares recorded migrations with this build's files.
    public func check(applied: [AppliedMigration]) throws -> MigrationStatus {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let migration = known[record.version] else {
                throw DatabaseError.migrationMissing(version: record.version, name: record.name)
            }
            guard migration.checksum == record.checksum else {
                throw DatabaseError.migrationEdited(version: record.version, name: record.name)
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        return MigrationStatus(applied: applied, pending: migrations.filter { !appliedVersions.contains($0.version) })
    }

    public func readApplied(on connection: PostgresConnection, logger: Logger) async throws -> [AppliedMigration] {
        let rows = try await connection.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version", logger: logger)
        var applied: [AppliedMigration] = []
        for try await (version, name, checksum, appliedAt) in rows.decode((Int, String, String, Date).self) {
            applied.append(AppliedMigration(version: version, name: name, checksum: checksum, appliedAt: appliedAt))
        }
        return applied
    }

    private func apply(on connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                duration_ms integer NOT NULL
            )
            """, logger: logger)
        let status = try check(applied: try await readApplied(on: connection, logger: logger))
        for migration in status.pending {
            let started = ContinuousClock.now
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in SQLScript.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let elapsed = ContinuousClock.now - started
                let milliseconds = elapsed.wholeMilliseconds
                try await connection.query("""
                    INSERT INTO schema_migrations (version, name, checksum, duration_ms)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(milliseconds))
                    """, logger: logger)
                try await connection.query("COMMIT", logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.label)", "ms": "\(milliseconds)"])
            } catch {
                // A query written to a closed connection is never answered (postgres-nio drops it): skip.
                if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
                throw DatabaseError.migrationFailed(version: migration.version, name: migration.name, reason: DatabaseError.describe(error))
            }
        }
        return status.pending
    }
}

extension Database {
    /// Where the serving database stands against `migrator`'s migrations, read through the pool
    /// (as `kefu_app`, with no tenant set): the readiness check `/readyz` runs on every probe.
    /// Throws `DatabaseError` for an edited or unknown migration, else the connection's error.
    public func migrationStatus(of migrator: Migrator) async throws -> MigrationStatus {
        try await withoutTenant { connection in
            try await migrator.status(on: connection, logger: logger)
        }
    }
}

import ArgumentParser
import Foundation
import Tenancy

/// `kefu migrate [--status]`: apply pending migrations, or show where the database stands.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations, or show their status.")

    @Flag(name: .long, help: "Show applied and pending migrations without changing anything.")
    var status = false

    func run() async throws {
        let environment = try CommandEnvironment.load(logLevelOverride: .warning)
        let migrator = try environment.loadMigrator()
        let logger = environment.logger
        let showStatus = status
        let lines: [String] = try await environment.withDatabase(migrate: false) { _, bootstrap in
            try await bootstrap.ownerEndpoint.withConnection(logger: logger) { connection in
                if showStatus {
                    let current = try await migrator.status(on: connection, logger: logger)
                    let formatter = ISO8601DateFormatter()
                    return current.applied.map { "applied  \(String(format: "%04d", $0.version))_\($0.name)  \(formatter.string(from: $0.appliedAt))" }
                        + current.pending.map { "pending  \($0.label)" }
                        + [current.isCurrent ? "database schema is current" : "\(current.pending.count) pending"]
                }
                let applied = try await migrator.migrate(on: connection, logger: logger)
                return applied.map { "applied  \($0.label)" } + ["database schema is current (\(migrator.migrations.count) migrations)"]
            }
        }
        print(lines.joined(separator: "\n"))
    }
}

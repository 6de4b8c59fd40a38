import Foundation
import Logging
import Tenancy

/// What every command starts with: validated configuration and logging.
struct CommandEnvironment {
    let configuration: Configuration
    let logger: Logger

    static func load(logLevelOverride: Logger.Level? = nil) throws -> CommandEnvironment {
        let configuration = try Configuration()
        LogSetup.bootstrap(level: logLevelOverride ?? configuration.logLevel, format: configuration.logFormat)
        var logger = Logger(label: "kefu")
        logger.logLevel = logLevelOverride ?? configuration.logLevel
        return CommandEnvironment(configuration: configuration, logger: logger)
    }

    func loadMigrator() throws -> Migrator {
        Migrator(migrations: try Migration.load(from: configuration.migrationsDirectory))
    }

    /// Opens the database (starting the local cluster when needed), runs `body` with a serving
    /// pool, and closes everything again, also when `body` throws.
    func withDatabase<Result: Sendable>(
        migrate: Bool,
        _ body: @Sendable (Database, DatabaseBootstrap) async throws -> Result
    ) async throws -> Result {
        let bootstrap = try await DatabaseBootstrap.open(configuration, waitForOwnership: false, logger: logger)
        do {
            if migrate {
                _ = try await bootstrap.ownerEndpoint.withConnection(logger: logger) { connection in
                    try await loadMigrator().migrate(on: connection, logger: logger)
                }
            }
            let database = try Database(
                endpoint: bootstrap.ownerEndpoint, maximumConnections: 2,
                applicationName: "kefu-cli", logger: logger)
            let result = try await database.whileRunning { database in try await body(database, bootstrap) }
            await bootstrap.close()
            return result
        } catch {
            await bootstrap.close()
            throw error
        }
    }
}

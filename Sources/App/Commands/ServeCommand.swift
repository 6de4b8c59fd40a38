import ArgumentParser
import Foundation
import Auth
import Logging
import NIOCore
import ServiceLifecycle
import Tenancy

/// `kefu serve`: migrate, then serve HTTP until SIGTERM or SIGINT, shutting down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Kefu server (the default command).")

    func run() async throws {
        let descriptors = FileDescriptorLimit.raiseToHardLimit()
        let environment = try CommandEnvironment.load()
        let configuration = environment.configuration
        let logger = environment.logger
        let migrator = try environment.loadMigrator()
        let masterKeys = try MasterKeySource(configuration).load()

        let bootstrap = try await DatabaseBootstrap.open(configuration, waitForOwnership: true, logger: logger)
        do {
            _ = try await bootstrap.ownerEndpoint.withConnection(logger: logger) { connection in
                try await migrator.migrate(on: connection, logger: logger)
            }
            let secrets = try await SecretsStartup.prepare(keys: masterKeys, endpoint: bootstrap.ownerEndpoint, logger: logger)
            let database = try Database(
                endpoint: bootstrap.ownerEndpoint,
                maximumConnections: configuration.databasePoolSize,
                applicationName: "kefu-\(configuration.nodeName)",
                logger: logger)
            let dependencies = ApplicationDependencies(
                configuration: configuration, database: database, migrator: migrator, logger: logger,
                auditSigner: try AuditSigner.loadOrCreate(in: configuration.dataDirectory), secrets: secrets)
            let app = try buildApplication(
                dependencies,
                servicesBeforePool: bootstrap.ownsLocalCluster ? [LocalClusterService(bootstrap: bootstrap)] : [])
            // The address is logged once bound ("listening on …"): with KEFU_PORT=0 only then is it known.
            logger.info("starting kefu", metadata: [
                "version": "\(KefuVersion.current)",
                "database": "\(bootstrap.ownerEndpoint.redactedDescription)",
                "open_files": "\(descriptors)",
                "master_key": "\(masterKeys.current.id)",
            ])
            var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            // Past the grace period the group cancels what is still running.
            group.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGraceSeconds)
            try await ServiceGroup(configuration: group).run()
        } catch let error as IOError {
            await bootstrap.close()
            throw CommandFailure(message: "cannot serve on \(configuration.host):\(configuration.port): \(error.description)")
        } catch {
            await bootstrap.close()
            throw error
        }
    }
}

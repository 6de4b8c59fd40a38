import Foundation
import Logging
import Tenancy

/// Resolves the database a command works on: the `DATABASE_URL` server, or the private local
/// cluster, started if needed. Whoever holds the data directory's lock owns the local cluster
/// and stops it on `close()`; a command that finds it owned by a running `kefu serve` just uses it.
final class DatabaseBootstrap: Sendable {
    /// Connects as the URL's user (or the local superuser): the schema owner.
    let ownerEndpoint: DatabaseEndpoint
    let localCluster: LocalCluster?
    private let lock: DataDirectoryLock?

    private init(ownerEndpoint: DatabaseEndpoint, localCluster: LocalCluster?, lock: DataDirectoryLock?) {
        self.ownerEndpoint = ownerEndpoint
        self.localCluster = localCluster
        self.lock = lock
    }

    /// Whether this process started or took over the local cluster and must stop it.
    var ownsLocalCluster: Bool { localCluster != nil && lock != nil }

    /// - Parameter waitForOwnership: `kefu serve` waits for the lock (a CLI command may hold it
    ///   briefly) and refuses to share a data directory with another `kefu serve`.
    static func open(_ configuration: Configuration, waitForOwnership: Bool, logger: Logger) async throws -> DatabaseBootstrap {
        if let endpoint = configuration.databaseEndpoint {
            return DatabaseBootstrap(ownerEndpoint: endpoint, localCluster: nil, lock: nil)
        }
        let cluster = LocalCluster(
            dataDirectory: configuration.dataDirectory,
            binaries: try PostgresBinaries.locate(configured: configuration.postgresBinDirectory),
            logger: logger)
        try cluster.prepareDirectory()
        var lock = try DataDirectoryLock.tryAcquire(path: cluster.lockPath)
        if lock == nil, waitForOwnership {
            let deadline = ContinuousClock.now + .seconds(30)
            while lock == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                lock = try DataDirectoryLock.tryAcquire(path: cluster.lockPath)
            }
            guard lock != nil else {
                throw DatabaseError.localCluster("another kefu serve is using \(configuration.dataDirectory.path); to run several nodes, point them all at one DATABASE_URL")
            }
        }
        if lock != nil {
            try await cluster.start()
        } else {
            guard try await cluster.isRunning() else {
                throw DatabaseError.localCluster("another kefu process is starting the cluster in \(configuration.dataDirectory.path); try again in a moment")
            }
        }
        return DatabaseBootstrap(ownerEndpoint: cluster.endpoint, localCluster: cluster, lock: lock)
    }

    /// Stops the local cluster if this process owns it.
    func close() async {
        guard ownsLocalCluster, let localCluster else { return }
        do {
            try await localCluster.stop()
        } catch {
            localCluster.logger.error("could not stop the local PostgreSQL", metadata: ["error": "\(error)"])
        }
    }
}

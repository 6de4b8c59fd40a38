import ServiceLifecycle

/// Keeps the local cluster up while the server runs and stops it last, after the connection
/// pool has closed, when the service group shuts down.
struct LocalClusterService: Service {
    let bootstrap: DatabaseBootstrap

    func run() async throws {
        try? await gracefulShutdown()
        await bootstrap.close()
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Tenancy
import TestSupport
@testable import Admin
@testable import App

/// Builds the real router (`buildRouter`, as `kefu serve` does) on a fresh migrated database.
enum TestApplication {
    static func configuration(_ overrides: [String: String] = [:]) throws -> Configuration {
        var environment = [
            "KEFU_PUBLIC_DIR": TestDatabase.repositoryRoot.appendingPathComponent("Public").path,
            "KEFU_MIGRATIONS_DIR": TestDatabase.migrationsDirectory.path,
        ]
        environment.merge(overrides) { $1 }
        return try Configuration(environment: environment)
    }

    /// Runs `test` against the application; `extraRoutes` may add routes for error-path tests.
    static func run(
        environment: [String: String] = [:],
        extraRoutes: @escaping @Sendable (Router<KefuRequestContext>) -> Void = { _ in },
        _ test: @escaping @Sendable (any TestClientProtocol, DatabaseEndpoint) async throws -> Void
    ) async throws {
        try await TestDatabase.withServing { database, endpoint in
            let configuration = try configuration(environment)
            let migrator = Migrator(migrations: try TestDatabase.migrations())
            let dependencies = ApplicationDependencies(configuration: configuration, database: database, migrator: migrator, logger: TestDatabase.logger)
            let router = try buildRouter(dependencies, metrics: ServerMetrics())
            extraRoutes(router)
            let app = Application(router: router, logger: TestDatabase.logger)
            try await app.test(.router) { client in
                try await test(client, endpoint)
            }
        }
    }
}

extension TestResponse {
    var text: String { body.getString(at: body.readerIndex, length: body.readableBytes) ?? "" }

    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}

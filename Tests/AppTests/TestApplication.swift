import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Tenancy
import TestSupport
@testable import Admin
@testable import Auth
@testable import App

/// Builds the real router (`buildRouter`, as `kefu serve` does) on a fresh migrated database.
enum TestApplication {
    static func configuration(_ overrides: [String: String] = [:]) throws -> Configuration {
        var environment = [
            "KEFU_PUBLIC_DIR": TestDatabase.repositoryRoot.appendingPathComponent("Public").path,
            "KEFU_MIGRATIONS_DIR": TestDatabase.migrationsDirectory.path,
            // The suite runs many Argon2 hashes in parallel on two cores: give the database time.
            "KEFU_READY_TIMEOUT": "30",
        ]
        environment.merge(overrides) { $1 }
        return try Configuration(environment: environment)
    }

    /// Runs `test` against the application; `extraRoutes` may add routes for error-path tests.
    /// `.live` serves it on a loopback port (requests then have a TCP peer, 127.0.0.1).
    static func run(
        environment: [String: String] = [:], setup: TestingSetup = .router,
        extraRoutes: @escaping @Sendable (Router<KefuRequestContext>) -> Void = { _ in },
        _ test: @escaping @Sendable (any TestClientProtocol, DatabaseEndpoint) async throws -> Void
    ) async throws {
        try await TestDatabase.withServing { database, endpoint in
            let configuration = try configuration(environment)
            let migrator = Migrator(migrations: try TestDatabase.migrations())
            let dependencies = ApplicationDependencies(configuration: configuration, database: database, migrator: migrator, logger: TestDatabase.logger, auditSigner: AuditSigner(privateKey: .init()),
                                                     secrets: try TestSecrets.box())
            let router = try buildRouter(dependencies, metrics: ServerMetrics())
            extraRoutes(router)
            let app = Application(router: router, logger: TestDatabase.logger)
            try await app.test(setup) { client in
                try await test(client, endpoint)
            }
        }
    }
}

extension TestApplication {
    static let password = "violet-harbour-42"

    /// Runs `test` against the application with tenant `acme`: owner boss@acme.example and
    /// agent agent@acme.example (who lacks the admin permissions), both with `password`; and a
    /// second tenant `globex` with owner boss@globex.example, for isolation checks.
    static func runWithTenant(environment: [String: String] = [:], setup: TestingSetup = .router,
                              _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await runWithTenant(environment: environment, setup: setup) { client, _ in try await test(client) }
    }

    /// `runWithTenant`, also handing the test the database endpoint (connecting as its owner).
    static func runWithTenant(
        environment: [String: String] = [:], setup: TestingSetup = .router,
        _ test: @escaping @Sendable (any TestClientProtocol, DatabaseEndpoint) async throws -> Void
    ) async throws {
        try await run(environment: environment, setup: setup) { client, endpoint in
            let database = try Database(endpoint: endpoint, maximumConnections: 2, applicationName: "kefu-test-setup", logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.run() }
                let hasher = PasswordHasher()
                let created = try await AccountDirectory(database: database, hasher: hasher)
                    .createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: password)
                let hash = try await hasher.hash(password)
                try await database.withTenant(created.tenant.id) { tx in
                    var agentRole = UUID()
                    for try await id in try await tx.query("SELECT id FROM roles WHERE builtin = 'agent'").decode(UUID.self) { agentRole = id }
                    _ = try await AccountDirectory.insertUser(email: "agent@acme.example", displayName: "Agent",
                                                              passwordHash: hash, roleID: agentRole, in: tx)
                }
                _ = try await AccountDirectory(database: database, hasher: hasher)
                    .createTenant(slug: "globex", name: "Globex", ownerEmail: "boss@globex.example", ownerPassword: password)
                group.cancelAll()
            }
            try await test(client, endpoint)
        }
    }
}

extension TestResponse {
    var text: String { body.getString(at: body.readerIndex, length: body.readableBytes) ?? "" }

    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}

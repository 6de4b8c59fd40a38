import Foundation
import Logging
import PostgresNIO
import Tenancy

/// Fresh databases for tests on the throwaway cluster that `scripts/test` starts
/// (`KEFU_TEST_DATABASE_URL`). Each test gets its own database, copied from a migrated template
/// made once per test process, so tests run in parallel without seeing each other.
public enum TestDatabase {
    public static let logger = Logger(label: "kefu-tests")

    /// The repository's `Migrations/` directory.
    public static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Migrations")
    }

    public static var repositoryRoot: URL { migrationsDirectory.deletingLastPathComponent() }

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: migrationsDirectory)
    }

    /// The superuser endpoint of the test cluster.
    public static func adminEndpoint() throws -> DatabaseEndpoint {
        guard let url = ProcessInfo.processInfo.environment["KEFU_TEST_DATABASE_URL"] else {
            throw TestSetupError("KEFU_TEST_DATABASE_URL is not set: run the tests with scripts/test")
        }
        return try DatabaseEndpoint(url: url)
    }

    /// Creates a new database: migrated (a copy of the template) or empty.
    public static func create(migrated: Bool = true) async throws -> DatabaseEndpoint {
        let admin = try adminEndpoint()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let template = migrated ? try await Template.shared.name() : "template1"
        try await admin.withConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"), logger: logger)
        }
        return admin.with(database: String(name))
    }

    public static func drop(_ endpoint: DatabaseEndpoint) async {
        guard let admin = try? adminEndpoint() else { return }
        _ = try? await admin.withConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(endpoint.database) WITH (FORCE)"), logger: logger)
        }
    }

    /// Runs `body` with a new database, dropped afterwards.
    public static func with<Result: Sendable>(migrated: Bool = true, _ body: (DatabaseEndpoint) async throws -> Result) async throws -> Result {
        let endpoint = try await create(migrated: migrated)
        do {
            let result = try await body(endpoint)
            await drop(endpoint)
            return result
        } catch {
            await drop(endpoint)
            throw error
        }
    }

    /// Runs `body` with a new migrated database and a running serving pool (role `kefu_app`).
    public static func withServing<Result: Sendable>(_ body: @Sendable (Database, DatabaseEndpoint) async throws -> Result) async throws -> Result {
        try await with(migrated: true) { endpoint in
            let database = try Database(endpoint: endpoint, maximumConnections: 8, applicationName: "kefu-test-\(endpoint.database)", logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.run() }
                defer { group.cancelAll() }
                return try await body(database, endpoint)
            }
        }
    }

    /// The migrated template database, made once per process.
    actor Template {
        static let shared = Template()
        private var task: Task<String, any Error>?

        func name() async throws -> String {
            if let task { return try await task.value }
            let task = Task<String, any Error> {
                let admin = try TestDatabase.adminEndpoint()
                let name = "kefu_template_\(ProcessInfo.processInfo.processIdentifier)"
                try await admin.withConnection(logger: logger) { connection in
                    try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
                }
                try await admin.with(database: name).withConnection(logger: logger) { connection in
                    try await Migrator(migrations: TestDatabase.migrations()).migrate(on: connection, logger: logger)
                }
                return name
            }
            self.task = task
            return try await task.value
        }
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

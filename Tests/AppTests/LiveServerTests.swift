import Foundation
import Testing
import TestSupport
@testable import App

/// End-to-end: the built `kefu` executable, as an operator runs it.
@Suite(.serialized) struct LiveServerTests {
    @Test func servesOnAnExternalDatabaseAndShutsDownGracefullyOnSIGTERM() async throws {
        try await TestDatabase.with(migrated: false) { endpoint in
            let server = try KefuProcess(["serve"], environment: ["DATABASE_URL": try KefuProcess.databaseURL(endpoint.database)])
            try await server.waitUntilReady()
            // KEFU_PORT=0: the system picked the port, and kefu said which.
            #expect(server.port != 0)
            #expect(server.output.contains("listening on http://127.0.0.1:\(server.port)"))
            let info = try await server.get("/api/v1/info")
            #expect(info.status == .ok)
            server.signal(SIGTERM)
            #expect(try await server.waitForExit(timeout: .seconds(30)) == 0)
            #expect(server.output.contains("created the demo tenant"))
        }
    }

    @Test func anInvalidPortStopsStartupWithOneClearLine() async throws {
        let (status, output) = try await KefuProcess.run(["serve"], environment: ["KEFU_PORT": "eighty"])
        #expect(status == 1)
        #expect(output == "kefu: invalid KEFU_PORT=\"eighty\": expected a port number from 1 to 65535, or 0 for any free port\n")
    }

    @Test func anUnreachableDatabaseStopsStartupWithOneClearLine() async throws {
        let (status, output) = try await KefuProcess.run(["serve"], environment: ["DATABASE_URL": "postgres://kefu:secret@127.0.0.1:1/kefu?sslmode=disable"])
        #expect(status == 1)
        #expect(output == "kefu: cannot connect to PostgreSQL at postgres://kefu@127.0.0.1:1/kefu: connection refused\n")
    }

    @Test func migrateStatusReportsTheSchema() async throws {
        try await TestDatabase.with(migrated: false) { endpoint in
            let environment = ["DATABASE_URL": try KefuProcess.databaseURL(endpoint.database)]
            var result = try await KefuProcess.run(["migrate", "--status"], environment: environment)
            #expect(result.status == 0)
            #expect(result.output.contains("pending  0001_init"))
            result = try await KefuProcess.run(["migrate"], environment: environment)
            #expect(result.output.contains("applied  0001_init"))
            result = try await KefuProcess.run(["migrate", "--status"], environment: environment)
            #expect(result.output.contains("database schema is current"))
        }
    }

    /// The built-in database: created on first start, reused after `kill -9`, nothing lost.
    @Test func theBuiltInDatabaseSurvivesKillNineAndIsReused() async throws {
        let dataDirectory = "/tmp/kefu-live-\(UUID().uuidString.prefix(8))"
        var environment = ["KEFU_DATA_DIR": dataDirectory]
        if let bin = ProcessInfo.processInfo.environment["KEFU_TEST_PG_BIN_DIR"] { environment["KEFU_PG_BIN_DIR"] = bin }
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }

        let first = try KefuProcess(["serve"], environment: environment)
        try await first.waitUntilReady(timeout: .seconds(120))
        let created = try await KefuProcess.run(["tenant", "create", "--slug", "acme", "--name", "Acme Ltd", "--owner-email", "boss@acme.example"], environment: environment)
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("owner password (shown only now): "))
        first.signal(SIGKILL)
        _ = try await first.waitForExit(timeout: .seconds(10))

        let second = try KefuProcess(["serve"], environment: environment)
        try await second.waitUntilReady(timeout: .seconds(120))
        #expect(second.output.contains("reusing the running local PostgreSQL"))
        let listed = try await KefuProcess.run(["tenant", "list"], environment: environment)
        #expect(listed.output.contains("acme\tAcme Ltd"))
        #expect(listed.output.contains("demo\tDemo"))
        let checkpoint = try await KefuProcess.run(["audit", "checkpoint"], environment: environment)
        #expect(checkpoint.output.contains("acme: signed seq"))
        let verified = try await KefuProcess.run(["audit", "verify", "--tenant", "acme"], environment: environment)
        #expect(verified.status == 0)
        #expect(verified.output.contains("acme: ok, 2 entries, 1 signed checkpoints verified"))
        second.signal(SIGTERM)
        #expect(try await second.waitForExit(timeout: .seconds(60)) == 0)
        // The owner stopped the cluster on its way out.
        #expect(!FileManager.default.fileExists(atPath: "\(dataDirectory)/postgres/postmaster.pid"))
    }
}

import Auth
import Foundation
import HummingbirdTesting
import PostgresNIO
import Testing
import Tenancy
import TestSupport
@testable import App

/// TOTP seeds and widget identity secrets are stored sealed: what the database holds, and so
/// any dump of it, never shows one.
@Suite struct SecretsAtRestTests {
    @Test func aDatabaseDumpRevealsNoTOTPSeedAndNoWidgetIdentitySecret() async throws {
        try await TestApplication.runWithTenant { client, endpoint in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let (totp, _) = try await TwoFactorAPITests().enrol(boss)
            // An enrolment left pending (not confirmed) is a secret too.
            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            let pending = try #require(try await agent.post("/api/v1/me/two-factor").json()["secret"] as? String)
            let widget = try await boss.post("/api/v1/widgets", ["name": "Shop", "allowedOrigins": ["https://shop.example"]]).json()
            let widgetSecret = try #require(widget["identitySecret"] as? String)
            let publicKey = try #require(widget["publicKey"] as? String)

            let dump = try Self.pgDump(database: endpoint.database)
            // The dump is real: it holds the rows whose secrets it must not show.
            #expect(dump.contains(publicKey) && dump.contains("boss@acme.example") && dump.contains("identity_secret_sealed"))
            let pendingBytes = try #require(Base32.decode(pending))
            for (name, revealing) in [
                ("TOTP seed (base32)", totp.base32Secret), ("TOTP seed (hex)", Self.hex(totp.secret)),
                ("pending TOTP seed (base32)", pending), ("pending TOTP seed (hex)", Self.hex(pendingBytes)),
                ("widget identity secret", widgetSecret), ("widget identity secret (hex of its text)", Self.hex(Data(widgetSecret.utf8))),
            ] {
                #expect(!dump.lowercased().contains(revealing.lowercased()), "the dump shows the \(name)")
            }
        }
    }

    @Test func everySealedColumnOfTheSchemaIsInTheRegistry() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            let columns = try await endpoint.withConnection(logger: TestDatabase.logger) { connection in
                let rows = try await connection.query("""
                    SELECT table_name::text, column_name::text FROM information_schema.columns
                    WHERE table_schema = 'public' AND (column_name LIKE '%\\_sealed' OR column_name LIKE '%\\_key\\_id')
                    """, logger: TestDatabase.logger)
                var names: Set<String> = []
                for try await (table, column) in rows.decode((String, String).self) { names.insert(table + "." + column) }
                return names
            }
            let registered = Set(SecretRegistry.columns.flatMap { ["\($0.table).\($0.sealedColumn)", "\($0.table).\($0.keyIDColumn)"] })
            #expect(columns == registered)
        }
    }

    static func hex(_ data: Data) -> String {
        data.map { String(format: "%02x", $0) }.joined()
    }

    /// `pg_dump` of one test database, as plain SQL, from the test cluster's own binaries.
    static func pgDump(database: String) throws -> String {
        let binaries = ProcessInfo.processInfo.environment["KEFU_TEST_PG_BIN_DIR"] ?? "/usr/lib/postgresql/15/bin"
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-dump-\(UUID().uuidString).sql")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaries).appendingPathComponent("pg_dump")
        process.arguments = ["--no-owner", "--file", output.path, "--dbname", try KefuProcess.databaseURL(database)]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "pg_dump failed")
        return try String(contentsOf: output, encoding: .utf8)
    }
}

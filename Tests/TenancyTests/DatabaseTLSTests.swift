import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Tenancy

/// The test cluster serves TLS with a certificate for "localhost" signed by a throwaway CA
/// (`scripts/test`), so these are real handshakes.
@Suite struct DatabaseTLSTests {
    let logger = TestDatabase.logger

    func endpoint(host: String, query: String) throws -> DatabaseEndpoint {
        let admin = try TestDatabase.adminEndpoint()
        guard case .tcp(_, let port) = admin.location, let ca = ProcessInfo.processInfo.environment["KEFU_TEST_DB_CA"] else {
            throw TestSetupError("run the tests with scripts/test")
        }
        let password = admin.password?.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try DatabaseEndpoint(url: "postgres://\(admin.username):\(password)@\(host):\(port)/postgres?sslrootcert=\(ca)&\(query)")
    }

    func usesTLS(_ endpoint: DatabaseEndpoint) async throws -> Bool {
        try await endpoint.withConnection(logger: logger) { connection in
            let rows = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger)
            for try await ssl in rows.decode(Bool.self) { return ssl }
            return false
        }
    }

    @Test func verifyFullConnectsOverTLSWhenTheNameMatches() async throws {
        #expect(try await usesTLS(endpoint(host: "localhost", query: "sslmode=verify-full")))
    }

    @Test func verifyFullRefusesANameTheCertificateDoesNotCover() async throws {
        let endpoint = try endpoint(host: "127.0.0.1", query: "sslmode=verify-full")
        await #expect(throws: DatabaseError.self) { try await usesTLS(endpoint) }
    }

    @Test func verifyCAChecksTheChainButNotTheName() async throws {
        #expect(try await usesTLS(endpoint(host: "127.0.0.1", query: "sslmode=verify-ca")))
    }

    @Test func disableConnectsInTheClear() async throws {
        #expect(try await !usesTLS(endpoint(host: "localhost", query: "sslmode=disable")))
    }

    @Test func theServingPoolUsesTLSToo() async throws {
        let endpoint = try endpoint(host: "localhost", query: "sslmode=verify-full")
        let database = try Database(endpoint: endpoint, role: nil, maximumConnections: 1, applicationName: "kefu-tls-test", logger: logger)
        let ssl = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            return try await database.withoutTenant { connection in
                let rows = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger)
                for try await ssl in rows.decode(Bool.self) { return ssl }
                return false
            }
        }
        #expect(ssl)
    }
}

import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Where and how to reach PostgreSQL: parsed from `DATABASE_URL` or made for the local cluster.
public struct DatabaseEndpoint: Sendable, Equatable {
    public enum Location: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    /// libpq's `sslmode` values, with libpq's meaning.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var location: Location
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode
    /// PEM file of certificate authorities to trust (`sslrootcert`).
    public var rootCertificatePath: String?

    public init(
        location: Location, username: String, password: String? = nil, database: String,
        tlsMode: TLSMode = .disable, rootCertificatePath: String? = nil
    ) {
        self.location = location
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
        self.rootCertificatePath = rootCertificatePath
    }

    /// The same server, another database (tests and `CREATE DATABASE` use this).
    public func with(database: String) -> DatabaseEndpoint {
        var copy = self
        copy.database = database
        return copy
    }

    /// A description safe for logs and error messages: never the password.
    public var redactedDescription: String {
        switch location {
        case .tcp(let host, let port): "postgres://\(username)@\(host):\(port)/\(database)"
        case .unixSocket(let path): "postgres://\(username)@/\(database) (socket \(path))"
        }
    }

    // MARK: Client configurations

    /// A configuration for the serving pool: every connection runs as `role` from its start,
    /// so code that forgets its tenant still meets row-level security.
    public func poolConfiguration(role: String?, maximumConnections: Int, applicationName: String) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch location {
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: try poolTLS())
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        var parameters = [("application_name", applicationName)]
        if let role { parameters.append(("role", role)) }
        // A connection kefu gave up on (a round trip past its deadline, a network path lost)
        // must not hold its locks for long on the server: an open transaction left idle ends
        // after a minute, and a silent peer is found by TCP keepalives within about a minute.
        parameters += [
            ("idle_in_transaction_session_timeout", "60s"),
            ("tcp_keepalives_idle", "30"), ("tcp_keepalives_interval", "10"), ("tcp_keepalives_count", "3"),
        ]
        configuration.options.additionalStartupParameters = parameters
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(10)
        if case .tcp(let host, _) = location { configuration.options.tlsServerName = tlsServerName(host) }
        return configuration
    }

    /// A configuration for one direct connection (migrations, CLI, bootstrap), as the URL's own user.
    public func connectionConfiguration(applicationName: String) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        switch location {
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: try connectionTLS())
            configuration.options.tlsServerName = tlsServerName(host)
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// Opens one connection as the URL's user; the caller closes it.
    public func connect(applicationName: String = "kefu-admin", logger: Logger) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(),
                configuration: connectionConfiguration(applicationName: applicationName),
                id: 0,
                logger: logger
            )
        } catch let error as DatabaseError {
            throw error
        } catch {
            throw DatabaseError.unreachable(endpoint: redactedDescription, reason: DatabaseError.describe(error))
        }
    }

    /// Runs `body` with one connection as the URL's user, closing it afterwards.
    @discardableResult
    public func withConnection<Result: Sendable>(
        applicationName: String = "kefu-admin",
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await connect(applicationName: applicationName, logger: logger)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    // MARK: TLS

    private func tlsServerName(_ host: String) -> String? {
        // SNI and hostname checks need a name, not an address.
        host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : host
    }

    func tlsConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch tlsMode {
        case .disable, .allow, .prefer, .require:
            // libpq: without a root certificate these modes encrypt but do not verify;
            // with one, `require` verifies the chain as `verify-ca` does.
            if tlsMode == .require, let rootCertificatePath {
                tls.trustRoots = .file(rootCertificatePath)
                tls.certificateVerification = .noHostnameVerification
            } else {
                tls.certificateVerification = .none
            }
        case .verifyCA:
            if let rootCertificatePath { tls.trustRoots = .file(rootCertificatePath) }
            tls.certificateVerification = .noHostnameVerification
        case .verifyFull:
            if let rootCertificatePath { tls.trustRoots = .file(rootCertificatePath) }
            tls.certificateVerification = .fullVerification
        }
        return tls
    }

    private func poolTLS() throws -> PostgresClient.Configuration.TLS {
        switch tlsMode {
        case .disable: .disable
        case .allow, .prefer: .prefer(try tlsConfiguration())
        case .require, .verifyCA, .verifyFull: .require(try tlsConfiguration())
        }
    }

    private func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        do {
            switch tlsMode {
            case .disable: return .disable
            case .allow, .prefer: return .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
            case .require, .verifyCA, .verifyFull: return .require(try NIOSSLContext(configuration: tlsConfiguration()))
            }
        } catch {
            throw DatabaseError.invalidTLSSettings("cannot use sslrootcert \(rootCertificatePath ?? "(none)"): \(error)")
        }
    }
}

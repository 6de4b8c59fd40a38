import PostgresNIO

/// What can go wrong reaching or preparing the database, in words an operator can act on.
public enum DatabaseError: Error, CustomStringConvertible, Equatable {
    case invalidURL(String)
    case invalidTLSSettings(String)
    case unreachable(endpoint: String, reason: String)
    case migrationFailed(version: Int, name: String, reason: String)
    case migrationEdited(version: Int, name: String)
    case migrationMissing(version: Int, name: String)
    case invalidMigrationFile(String)
    case localCluster(String)
    /// A round trip outlived its deadline; its connection was closed (the pool opens a new one).
    case deadlineExceeded(Duration)
    /// The pool lent a connection that had closed meanwhile (PostgreSQL restarted): nothing was
    /// sent; try again.
    case connectionLost

    public var description: String {
        switch self {
        case .invalidURL(let reason):
            "invalid DATABASE_URL: \(reason)"
        case .invalidTLSSettings(let reason):
            "invalid database TLS settings: \(reason)"
        case .unreachable(let endpoint, let reason):
            "cannot connect to PostgreSQL at \(endpoint): \(reason)"
        case .migrationFailed(let version, let name, let reason):
            "migration \(Migration.label(version, name)) failed and was rolled back: \(reason)"
        case .migrationEdited(let version, let name):
            "migration \(Migration.label(version, name)) was edited after it was applied (checksum differs); restore the original file and add a new migration instead"
        case .migrationMissing(let version, let name):
            "the database has migration \(Migration.label(version, name)) that this build does not know; run a newer kefu"
        case .invalidMigrationFile(let reason):
            "invalid migration file: \(reason)"
        case .localCluster(let reason):
            "local PostgreSQL: \(reason)"
        case .deadlineExceeded(let deadline):
            "PostgreSQL did not answer within \(deadline)"
        case .connectionLost:
            "the connection to PostgreSQL closed"
        }
    }

    /// Throws `connectionLost` when `connection` has closed. postgres-nio never answers a query
    /// written to a closed connection, so every query is preceded by this check.
    public static func checkOpen(_ connection: PostgresConnection) throws(DatabaseError) {
        if connection.isClosed { throw .connectionLost }
    }

    /// One line for an error from postgres-nio or the network, without SQL text or stack traces.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + code
            }
            if let underlying = error.underlying {
                return describe(underlying)
            }
            return "\(error.code)"
        }
        if let error = error as? DatabaseError { return error.description }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("NXDOMAIN") || text.contains("nodename nor servname") || text.contains("Name or service not known") { return "unknown host" }
        return text
    }
}

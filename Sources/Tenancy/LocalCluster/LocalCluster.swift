import Foundation
import Logging
import PostgresNIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Kefu's private PostgreSQL cluster, used when `DATABASE_URL` is unset: created with `initdb`
/// under the data directory on first use, started with `pg_ctl`, listening on a Unix socket
/// only (no TCP port), and reused by every later start. When kefu runs as root the cluster
/// runs as the `postgres` user, because PostgreSQL refuses to run as root.
public struct LocalCluster: Sendable {
    public static let superuser = "kefu"
    public static let databaseName = "kefu"
    static let port = 5432

    public let dataDirectory: URL
    let binaries: PostgresBinaries
    public let logger: Logger

    var clusterDirectory: URL { dataDirectory.appendingPathComponent("postgres") }
    var socketDirectory: URL { dataDirectory.appendingPathComponent("run") }
    /// Inside the cluster directory: the server (maybe the postgres user) must be able to write it.
    var logFile: URL { clusterDirectory.appendingPathComponent("server.log") }
    var initializedMarker: URL { dataDirectory.appendingPathComponent("postgres.initialized") }
    public var lockPath: String { dataDirectory.appendingPathComponent("kefu.lock").path }

    /// The owner of the cluster's files: `postgres` when kefu is root, else kefu's own user.
    private var clusterUser: String? { getuid() == 0 ? "postgres" : nil }

    public init(dataDirectory: URL, binaries: PostgresBinaries, logger: Logger) {
        self.dataDirectory = dataDirectory.standardizedFileURL
        self.binaries = binaries
        self.logger = logger
    }

    /// The endpoint for the cluster's `kefu` database, as its superuser, over the Unix socket.
    public var endpoint: DatabaseEndpoint {
        DatabaseEndpoint(
            location: .unixSocket(path: socketDirectory.appendingPathComponent(".s.PGSQL.\(Self.port)").path),
            username: Self.superuser, database: Self.databaseName)
    }

    /// Prepares the data directory; call before taking the lock.
    public func prepareDirectory() throws {
        let socketPath = endpoint.location
        if case .unixSocket(let path) = socketPath, path.utf8.count > 100 {
            throw DatabaseError.localCluster("the data directory path is too long for a Unix socket (\(path.utf8.count) bytes, limit 100); set KEFU_DATA_DIR to a shorter path")
        }
        do {
            try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            // As root the postgres user must traverse it, but never list it (it holds keys).
            chmod(dataDirectory.path, clusterUser == nil ? 0o700 : 0o711)
        } catch {
            throw DatabaseError.localCluster("cannot create the data directory \(dataDirectory.path): \(error.localizedDescription)")
        }
    }

    /// Starts the cluster unless it is already running (left by a process that died, or run by
    /// another kefu on the same data directory), creating it first if needed.
    /// - Returns: whether this call started the server.
    @discardableResult
    public func start() async throws -> Bool {
        try prepareDirectory()
        if !FileManager.default.fileExists(atPath: initializedMarker.path) {
            try await initialize()
        }
        try writeServerSettings()
        if try await isRunning() {
            logger.info("reusing the running local PostgreSQL", metadata: ["dir": "\(clusterDirectory.path)"])
            try await createDatabaseIfMissing()
            return false
        }
        logger.info("starting the local PostgreSQL", metadata: ["dir": "\(clusterDirectory.path)"])
        let result = try await pgCtl(["start", "-D", clusterDirectory.path, "-l", logFile.path, "-w", "-t", "120"])
        guard result.succeeded else {
            throw DatabaseError.localCluster("pg_ctl start failed: \(lastLines(of: logFile.path) ?? result.output)")
        }
        try await createDatabaseIfMissing()
        return true
    }

    /// Stops the server (fast shutdown: sessions end, data is flushed).
    public func stop() async throws {
        guard try await isRunning() else { return }
        let result = try await pgCtl(["stop", "-D", clusterDirectory.path, "-m", "fast", "-w", "-t", "60"])
        guard result.succeeded else { throw DatabaseError.localCluster("pg_ctl stop failed: \(result.output)") }
        logger.info("stopped the local PostgreSQL")
    }

    public func isRunning() async throws -> Bool {
        guard FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("PG_VERSION").path) else { return false }
        // pg_ctl status: 0 running, 3 not running, 4 no usable data directory.
        return try await pgCtl(["status", "-D", clusterDirectory.path]).status == 0
    }

    private func initialize() async throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: clusterDirectory.path) {
            // A previous initdb was interrupted before it finished: nothing in it was ever used.
            try fileManager.removeItem(at: clusterDirectory)
        }
        try makeClusterOwnedDirectory(clusterDirectory)
        logger.info("creating the local PostgreSQL cluster", metadata: ["dir": "\(clusterDirectory.path)"])
        let result = try await Subprocess.run(
            binaries.initdb,
            ["-D", clusterDirectory.path, "-U", Self.superuser, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"],
            as: clusterUser)
        guard result.succeeded else {
            throw DatabaseError.localCluster("initdb failed: \(result.output.split(separator: "\n").suffix(3).joined(separator: " "))")
        }
        let configuration = clusterDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: configuration)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n# Kefu's settings, rewritten at every start.\ninclude_if_exists = 'kefu.conf'\n".utf8))
        try handle.close()
        _ = fileManager.createFile(atPath: initializedMarker.path, contents: Data())
    }

    /// Settings that follow the data directory if it moves: socket only, owner only.
    private func writeServerSettings() throws {
        try makeClusterOwnedDirectory(socketDirectory)
        let settings = """
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory.path.replacingOccurrences(of: "'", with: "''"))'
            unix_socket_permissions = 0700
            max_connections = 200

            """
        let path = clusterDirectory.appendingPathComponent("kefu.conf").path
        guard FileManager.default.createFile(atPath: path, contents: Data(settings.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DatabaseError.localCluster("cannot write \(path)")
        }
        try chown(path)
    }

    private func createDatabaseIfMissing() async throws {
        let maintenance = endpoint.with(database: "postgres")
        try await maintenance.withConnection(logger: logger) { connection in
            let rows = try await connection.query("SELECT count(*)::int FROM pg_database WHERE datname = \(Self.databaseName)", logger: logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            if count == 0 {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(Self.databaseName)"), logger: logger)
            }
        }
    }

    private func pgCtl(_ arguments: [String]) async throws -> Subprocess.Result {
        try await Subprocess.run(binaries.pgCtl, arguments, as: clusterUser)
    }

    private func makeClusterOwnedDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try chown(url.path)
    }

    private func chown(_ path: String) throws {
        guard let user = clusterUser else { return }
        guard let entry = getpwnam(user) else {
            throw DatabaseError.localCluster("kefu runs as root, so PostgreSQL must run as the '\(user)' user, which does not exist; install PostgreSQL with `apt-get install -y postgresql` or run kefu as a normal user")
        }
        guard Glibc.chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw DatabaseError.localCluster("cannot hand \(path) to the '\(user)' user: \(String(cString: strerror(errno)))")
        }
    }

    private func lastLines(of path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").suffix(3)
        return lines.isEmpty ? nil : lines.joined(separator: " | ")
    }
}

import Foundation

extension DatabaseEndpoint {
    /// Parses a libpq-style URL: `postgres://user:password@host:port/database?sslmode=require&sslrootcert=/ca.pem`.
    ///
    /// A Unix socket directory is given as `?host=/var/run/postgresql` (or an empty host with that parameter).
    /// Throws `DatabaseError.invalidURL` naming what is wrong; the message never contains the password.
    public init(url: String) throws {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw DatabaseError.invalidURL("expected postgres://user:password@host:port/database")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            query[item.name] = item.value ?? ""
        }
        let known: Set<String> = ["sslmode", "sslrootcert", "host", "port", "user", "password", "dbname", "application_name", "connect_timeout"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw DatabaseError.invalidURL("unsupported parameter '\(unknown)'")
        }

        let username = components.percentEncodedUser.map { $0.removingPercentEncoding ?? $0 } ?? query["user"] ?? "postgres"
        let password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 } ?? query["password"]
        var database = String(components.percentEncodedPath.drop(while: { $0 == "/" }))
        database = database.removingPercentEncoding ?? database
        if database.isEmpty { database = query["dbname"] ?? username }

        let portText = components.port.map(String.init) ?? query["port"] ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw DatabaseError.invalidURL("port '\(portText)' is not a number from 1 to 65535")
        }

        let host = components.percentEncodedHost.flatMap { $0.removingPercentEncoding } ?? ""
        let location: Location
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            location = .unixSocket(path: "\(socketDirectory)/.s.PGSQL.\(port)")
        } else if !host.isEmpty || query["host"] != nil {
            let name = host.isEmpty ? query["host"]! : host
            location = .tcp(host: name.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
        } else {
            throw DatabaseError.invalidURL("no host: give one (postgres://user@host/db) or a socket directory (?host=/path)")
        }

        let tlsMode: TLSMode
        if let mode = query["sslmode"] {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw DatabaseError.invalidURL("sslmode '\(mode)' is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            tlsMode = parsed
        } else if case .unixSocket = location {
            tlsMode = .disable
        } else {
            tlsMode = .prefer
        }
        let rootCertificate = query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 }
        if let rootCertificate, !FileManager.default.isReadableFile(atPath: rootCertificate) {
            throw DatabaseError.invalidURL("sslrootcert file '\(rootCertificate)' cannot be read")
        }
        self.init(
            location: location, username: username, password: password, database: database,
            tlsMode: tlsMode, rootCertificatePath: rootCertificate
        )
    }
}

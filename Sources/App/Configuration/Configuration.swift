import Crypto
import Foundation
import Logging
import Tenancy

/// Every setting of `kefu`, read from the environment. The README's configuration table lists
/// the same variables with the same defaults.
struct Configuration: Sendable {
    enum LogFormat: String, CaseIterable, Sendable { case text, json }

    /// HTTPS (and WSS) from a certificate chain and key in PEM files.
    struct TLSSettings: Sendable, Equatable {
        var certificatePath: String
        var keyPath: String
        /// A plain-HTTP port that redirects every request to HTTPS, if set.
        var redirectPort: Int?
    }

    var host: String
    var port: Int
    var dataDirectory: URL
    /// `nil` runs the private local cluster under `dataDirectory`.
    var databaseEndpoint: DatabaseEndpoint?
    var databasePoolSize: Int
    var postgresBinDirectory: String?
    var publicDirectory: URL
    var migrationsDirectory: URL
    var logLevel: Logger.Level
    var logFormat: LogFormat
    var maxBodyBytes: Int
    var maxUploadBytes: Int
    var apiRateLimitPerMinute: Int
    /// WebSocket upgrades per minute per client address; `0` turns the limit off.
    var webSocketUpgradeRateLimitPerMinute: Int
    /// Proxies whose `Forwarded` / `X-Forwarded-*` headers are believed.
    var trustedProxies: TrustedProxies
    var seedDemoTenant: Bool
    var secureCookies: Bool
    /// Other nodes' audit-signing public keys, trusted when verifying checkpoints.
    var auditTrustedKeys: [Curve25519.Signing.PublicKey]
    var auditCheckpointSeconds: Int
    var readinessTimeoutSeconds: Int
    var tls: TLSSettings?
    var loginFailuresPerAccount: Int
    var loginFailuresPerIP: Int
    var shutdownGraceSeconds: Int
    /// Sends from sockets are refused (`overloaded`) while the node's threads run this far
    /// behind (`LoopLagGauge`); 0 (the default): never — the writer's own admission did better
    /// in the overload benchmark (BENCHMARKS.md).
    var maximumLoopLagMilliseconds: Int
    var nodeName: String
    /// `KEFU_MASTER_KEY`: the keys that seal secrets at rest, shared by every node; `nil` uses
    /// the key file in `dataDirectory` (see `MasterKeySource`).
    var masterKeys: MasterKeys?

    /// Reads and validates every variable; throws the first `ConfigurationError` or
    /// `DatabaseError.invalidURL`.
    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let env = EnvironmentReader(values: environment)
        host = env.string("KEFU_HOST", default: "127.0.0.1")
        port = try env.integer("KEFU_PORT", default: 8080, in: 0...65535, expected: Self.portExpectation)
        dataDirectory = URL(fileURLWithPath: env.string("KEFU_DATA_DIR", default: ".kefu")).standardizedFileURL
        if let url = env.string("DATABASE_URL") {
            databaseEndpoint = try DatabaseEndpoint(url: url)
        }
        databasePoolSize = try env.integer("KEFU_DB_POOL_SIZE", default: 20, in: 2...1000)
        postgresBinDirectory = env.string("KEFU_PG_BIN_DIR")
        publicDirectory = try Self.resourceDirectory(env, variable: "KEFU_PUBLIC_DIR", name: "Public")
        migrationsDirectory = try Self.resourceDirectory(env, variable: "KEFU_MIGRATIONS_DIR", name: "Migrations")
        let levelText = env.string("KEFU_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConfigurationError(variable: "KEFU_LOG_LEVEL", value: levelText, expected: "one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = level
        logFormat = try env.choice("KEFU_LOG_FORMAT", default: LogFormat.text)
        maxBodyBytes = try env.integer("KEFU_MAX_BODY_BYTES", default: 1_048_576, in: 1024...1_073_741_824)
        maxUploadBytes = try env.integer("KEFU_MAX_UPLOAD_BYTES", default: 10_485_760, in: 1024...104_857_600)
        apiRateLimitPerMinute = try env.integer("KEFU_API_RATE_LIMIT", default: 600, in: 1...1_000_000)
        webSocketUpgradeRateLimitPerMinute = try env.integer("KEFU_WS_UPGRADE_RATE_LIMIT", default: 120, in: 0...1_000_000)
        do {
            trustedProxies = try TrustedProxies(parsing: env.string("KEFU_TRUSTED_PROXIES") ?? "")
        } catch {
            throw ConfigurationError(variable: "KEFU_TRUSTED_PROXIES", value: error.entry,
                                     expected: "comma-separated IPv4/IPv6 addresses or CIDR ranges, e.g. 10.0.0.0/8,127.0.0.1")
        }
        seedDemoTenant = try env.boolean("KEFU_SEED_DEMO", default: true)
        secureCookies = try env.boolean("KEFU_COOKIE_SECURE", default: false)
        auditTrustedKeys = try (env.string("KEFU_AUDIT_TRUSTED_KEYS") ?? "").split(separator: ",").map { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let data = Data(base64Encoded: trimmed), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: data) else {
                throw ConfigurationError(variable: "KEFU_AUDIT_TRUSTED_KEYS", value: String(text), expected: "comma-separated base64 Ed25519 public keys (kefu audit public-key)")
            }
            return key
        }
        auditCheckpointSeconds = try env.integer("KEFU_AUDIT_CHECKPOINT_SECONDS", default: 300, in: 0...86400)
        readinessTimeoutSeconds = try env.integer("KEFU_READY_TIMEOUT", default: 3, in: 1...300)
        loginFailuresPerAccount = try env.integer("KEFU_LOGIN_FAILURES_PER_ACCOUNT", default: 5, in: 1...1000)
        loginFailuresPerIP = try env.integer("KEFU_LOGIN_FAILURES_PER_IP", default: 20, in: 1...100_000)
        tls = try Self.tlsSettings(env)
        if tls != nil { secureCookies = true }
        shutdownGraceSeconds = try env.integer("KEFU_SHUTDOWN_GRACE", default: 10, in: 0...3600)
        maximumLoopLagMilliseconds = try env.integer("KEFU_MAX_LOOP_LAG_MS", default: 0, in: 0...60_000)
        nodeName = env.string("KEFU_NODE_NAME", default: ProcessInfo.processInfo.hostName + "-" + String(ProcessInfo.processInfo.processIdentifier))
        if let keys = env.string("KEFU_MASTER_KEY") {
            do {
                masterKeys = try MasterKeys(parsing: keys, source: "KEFU_MASTER_KEY")
            } catch SecretError.invalidKey(_, let detail) {
                // Never echo a key: the detail names the entry by its position.
                throw ConfigurationError(variable: "KEFU_MASTER_KEY", value: "(not shown)", expected: "comma-separated base64 32-byte keys; \(detail)")
            }
        }
    }

    /// Ports: `0` lets the system pick a free one, and kefu logs the one it got
    /// (`listening on http://127.0.0.1:39211`), which is how tests start servers without races.
    static let portExpectation = "a port number from 1 to 65535, or 0 for any free port"

    private static func tlsSettings(_ env: EnvironmentReader) throws -> TLSSettings? {
        let certificate = env.string("KEFU_TLS_CERT")
        let key = env.string("KEFU_TLS_KEY")
        guard certificate != nil || key != nil else {
            if let redirect = env.string("KEFU_TLS_REDIRECT_PORT") {
                throw ConfigurationError(variable: "KEFU_TLS_REDIRECT_PORT", value: redirect, expected: "KEFU_TLS_CERT and KEFU_TLS_KEY to be set too")
            }
            return nil
        }
        for (variable, value) in [("KEFU_TLS_CERT", certificate), ("KEFU_TLS_KEY", key)] {
            guard let value else {
                throw ConfigurationError(variable: variable, value: "", expected: "a PEM file (KEFU_TLS_CERT and KEFU_TLS_KEY go together)")
            }
            guard FileManager.default.isReadableFile(atPath: value) else {
                throw ConfigurationError(variable: variable, value: value, expected: "a readable PEM file")
            }
        }
        let redirect = env.string("KEFU_TLS_REDIRECT_PORT") == nil ? nil
            : try env.integer("KEFU_TLS_REDIRECT_PORT", default: 0, in: 0...65535, expected: Self.portExpectation)
        return TLSSettings(certificatePath: certificate!, keyPath: key!, redirectPort: redirect)
    }

    /// `Public/` and `Migrations/` ship beside the sources: found in the working directory or
    /// above the executable (`.build/debug/kefu` inside a checkout), unless configured.
    private static func resourceDirectory(_ env: EnvironmentReader, variable: String, name: String) throws -> URL {
        let fileManager = FileManager.default
        if let configured = env.string(variable) {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: configured, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConfigurationError(variable: variable, value: configured, expected: "an existing directory")
            }
            return URL(fileURLWithPath: configured).standardizedFileURL
        }
        var candidates = [URL(fileURLWithPath: fileManager.currentDirectoryPath)]
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory)
            directory = directory.deletingLastPathComponent()
        }
        for candidate in candidates {
            let url = candidate.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return url.standardizedFileURL
            }
        }
        throw ConfigurationError(variable: variable, value: "", expected: "the path of Kefu's \(name)/ directory (none found in the working directory or beside the executable)")
    }
}

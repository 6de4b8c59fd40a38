import Foundation
import HummingbirdTesting
import NIOCore
import Synchronization
import TestSupport

/// A real `kefu` process started from the built executable, for end-to-end tests. `kefu serve`
/// starts with `KEFU_PORT=0` (unless the test sets it): the system picks a free port, and the
/// process learns it from kefu's `listening on http://HOST:PORT` line — no port is chosen
/// beforehand and then raced for.
final class KefuProcess: @unchecked Sendable {
    let process = Process()
    private let outputURL: URL
    private let listeningPort = Mutex<Int?>(nil)

    static var executable: URL {
        TestDatabase.repositoryRoot.appendingPathComponent(".build/debug/kefu")
    }

    /// The test cluster's URL for another database.
    static func databaseURL(_ database: String) throws -> String {
        guard let url = ProcessInfo.processInfo.environment["KEFU_TEST_DATABASE_URL"] else {
            throw TestSetupError("KEFU_TEST_DATABASE_URL is not set: run the tests with scripts/test")
        }
        return url.replacingOccurrences(of: "/postgres?", with: "/\(database)?")
    }

    init(_ arguments: [String], environment: [String: String]) throws {
        outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-live-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KEFU_") && $0.key != "DATABASE_URL" }
        if arguments.first == "serve" { inherited["KEFU_PORT"] = "0" }
        inherited["KEFU_LOG_LEVEL"] = "info"
        // Dozens of nodes run at once in the suite, all on one test cluster: a small pool each
        // (the default is 20) keeps them inside its max_connections.
        inherited["KEFU_DB_POOL_SIZE"] = "10"
        inherited.merge(environment) { $1 }
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = inherited
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Runs a kefu command to completion; returns its exit status and output.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
        let command = try KefuProcess(arguments, environment: environment)
        let status = try await command.waitForExit(timeout: .seconds(60))
        return (status, command.output)
    }

    var output: String {
        (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
    }

    /// The port `kefu serve` listens on, once `waitUntilListening` (or `waitUntilReady`) saw it;
    /// 0 before.
    var port: Int {
        listeningPort.withLock { $0 } ?? 0
    }

    /// Waits for kefu's line `listening on http://HOST:PORT` (or https) and returns the port.
    @discardableResult
    func waitUntilListening(timeout: Duration = .seconds(60)) async throws -> Int {
        if let port = listeningPort.withLock({ $0 }) { return port }
        let port = try await waitForLoggedPort(after: "listening on ", timeout: timeout)
        listeningPort.withLock { $0 = port }
        return port
    }

    /// Waits for a log line with `prefix` followed by a URL (`http://127.0.0.1:39211`, or a
    /// bracketed IPv6 host) and returns the URL's port.
    func waitForLoggedPort(after prefix: String, timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let port = Self.loggedPort(in: output, after: prefix) { return port }
            guard process.isRunning else { throw TestSetupError("kefu exited before logging \"\(prefix)…\":\n\(output)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("kefu did not log \"\(prefix)…\" in time:\n\(output)")
    }

    static func loggedPort(in output: String, after prefix: String) -> Int? {
        for line in output.split(separator: "\n") {
            guard let start = line.range(of: prefix + "http")?.upperBound else { continue }
            let url = line[start...].drop { $0 != ":" }.dropFirst(3).prefix { !$0.isWhitespace && $0 != "\"" }
            // The port follows the host's last colon (an IPv6 host is in brackets).
            if let colon = url.lastIndex(of: ":"), let port = Int(url[url.index(after: colon)...]) { return port }
        }
        return nil
    }

    /// Waits until kefu listens, then polls `/readyz` until it answers 200.
    func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        try await waitUntilListening(timeout: timeout)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw TestSetupError("kefu exited early:\n\(output)") }
            if (try? await get("/readyz").status.code) == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestSetupError("kefu did not become ready:\n\(output)")
    }

    func get(_ path: String) async throws -> TestClient.Response {
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.get(path)
        }
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    func waitForExit(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw TestSetupError("kefu did not exit in time:\n\(output)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if ProcessInfo.processInfo.environment["KEFU_TEST_KEEP_LOGS"] == nil { try? FileManager.default.removeItem(at: outputURL) }
    }
}

import Foundation
import HummingbirdTesting
import NIOCore
import NIOPosix
import TestSupport

/// A real `kefu` process started from the built executable, for end-to-end tests.
final class KefuProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let outputURL: URL

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

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    init(_ arguments: [String], environment: [String: String], port: Int = 0) throws {
        self.port = port
        outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-live-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KEFU_") && $0.key != "DATABASE_URL" }
        if port != 0 { inherited["KEFU_PORT"] = String(port) }
        inherited["KEFU_LOG_LEVEL"] = "info"
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

    /// Polls `/readyz` until it answers 200.
    func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
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
        try? FileManager.default.removeItem(at: outputURL)
    }
}

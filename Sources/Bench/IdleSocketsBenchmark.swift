import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Scenario 1: N idle visitor sockets (each has said hello) held open against one server; the
/// server's resident memory growth divided by N is the cost of an idle socket. The sockets are
/// spread over several worker processes, since one process may hold at most 20,000 descriptors.
struct IdleSocketsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sockets", abstract: "Idle visitor sockets: server RSS per connection.")

    @Option(help: "The server, as http://IPv4:port.") var url = "http://127.0.0.1:8080"
    @Option var tenant = "demo"
    @Option var email = "owner@demo.kefu.local"
    @Option var password: String
    @Option(help: "Sockets to open in all.") var count = 19_000
    @Option(help: "Worker processes to spread them over.") var processes = 4
    @Option(help: "The server's process id, to read its RSS.") var serverPid: Int32
    @Option(help: "Seconds to let memory settle before measuring.") var settle = 10

    func run() async throws {
        let (host, port) = try hostAndPort(url)
        let setup = try BenchSetup.prepare(host: host, port: port, tenant: tenant, email: email, password: password)
        try await Task.sleep(for: .seconds(2))
        guard let before = residentKilobytes(pid: serverPid) else { throw ValidationError("no process \(serverPid)") }
        let started = ContinuousClock.now
        var workers: [(Process, Pipe)] = []
        for index in 0..<processes {
            let share = count / processes + (index < count % processes ? 1 : 0)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            process.arguments = ["sockets-worker", "--url", url, "--key", setup.widgetKey, "--count", String(share)]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            workers.append((process, pipe))
        }
        var connected = 0
        for (_, pipe) in workers {
            let line = String(decoding: pipe.fileHandleForReading.availableDataUntilNewline(), as: UTF8.self)
            guard line.hasPrefix("connected ") else { throw ValidationError("a worker failed: \(line)") }
            connected += Int(line.dropFirst("connected ".count).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        let connectTime = ContinuousClock.now - started
        try await Task.sleep(for: .seconds(settle))
        let after = residentKilobytes(pid: serverPid) ?? before
        let perSocket = Double(after - before) / Double(max(1, connected))
        print(String(format: "sockets: %d idle visitor sockets (after hello) in %d processes, opened in %.1f s", connected, processes,
                     Double(connectTime.components.seconds) + Double(connectTime.components.attoseconds) / 1e18))
        print(String(format: "server RSS: %.1f MB before, %.1f MB after: %.1f KB per socket", Double(before) / 1024, Double(after) / 1024, perSocket))
        for (process, _) in workers { process.terminate() }
        for (process, _) in workers { process.waitUntilExit() }
        if connected < count { throw ExitCode(1) }
    }
}

/// One worker of `sockets`: opens its share, says hello on each, reports, then holds them.
struct IdleSocketsWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sockets-worker", shouldDisplay: false)

    @Option var url: String
    @Option var key: String
    @Option var count: Int

    func run() async throws {
        let (host, port) = try hostAndPort(url)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let welcomed = Counter()
        var channels: [any Channel] = []
        channels.reserveCapacity(count)
        var next = 0
        while next < count {
            let batch = min(200, count - next)
            let opened = try await withThrowingTaskGroup(of: (any Channel).self) { tasks in
                for _ in 0..<batch {
                    tasks.addTask {
                        let channel = try await BenchSocket.connect(
                            group: group, host: host, port: port, path: "/ws/visitor?key=\(key)", headers: [("Origin", "http://bench.local")]
                        ) { frame in
                            if frame.contains("\"welcome\"") { welcomed.value.add(1, ordering: .relaxed) }
                        }
                        BenchSocket.send(#"{"type":"hello","v":1}"#, on: channel)
                        return channel
                    }
                }
                return try await tasks.reduce(into: [any Channel]()) { $0.append($1) }
            }
            channels += opened
            next += batch
        }
        while welcomed.value.load(ordering: .relaxed) < count {
            try await Task.sleep(for: .milliseconds(50))
        }
        FileHandle.standardOutput.write(Data("connected \(channels.count)\n".utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

extension FileHandle {
    /// Reads until a newline (or the end), one byte at a time: a few short lines only.
    func availableDataUntilNewline() -> Data {
        var data = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { return data }
            data += byte
        }
    }
}

/// A counter shared with channel handlers.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Tenancy

/// A node keeps its promise through PostgreSQL restarts under load: every send is answered
/// (an ack, or an error that says resend), every resend with the same client id is acknowledged
/// soon after PostgreSQL is back, and nothing is lost or stored twice.
///
/// The node runs its own built-in cluster (never the suite's shared one), which the test
/// restarts (fast and immediate) and stops for five seconds while twenty visitors write.
@Suite(.serialized) struct WriterRecoveryLiveTests {
    static let window: Duration = .seconds(15)

    @Test func everyResentSendIsAcknowledgedAfterPostgreSQLRestartsAndNothingIsLostOrDoubled() async throws {
        let node = try await PrivateClusterNode.start()
        defer { node.stop() }
        let load = VisitorLoad(port: node.process.port, widgetKey: node.widgetKey, visitors: 20, node: node.process)
        try await load.connect()
        let writers = Task { await load.run() }

        // Caught up within 10 s of PostgreSQL being back when the machine is otherwise quiet; in a
        // full fresh-clone CI run on two busy cores the last resend was once acknowledged right at
        // 10.0 s (the pool reconnects with a growing backoff), so the window here is 15 s.
        try await Task.sleep(for: .seconds(2))
        try await node.pgCtl(["restart", "-m", "fast"])
        try await load.expectCaughtUp(within: Self.window, after: "restart -m fast")

        try await Task.sleep(for: .seconds(2))
        try await node.pgCtl(["restart", "-m", "immediate"])
        try await load.expectCaughtUp(within: Self.window, after: "restart -m immediate")

        try await Task.sleep(for: .seconds(2))
        try await node.pgCtl(["stop", "-m", "fast"])
        try await Task.sleep(for: .seconds(5))
        try await node.pgCtl(["start"])
        try await load.expectCaughtUp(within: Self.window, after: "stopped for 5 s")

        try await Task.sleep(for: .seconds(1))
        load.stopSending()
        await writers.value
        let sent = load.sentClientIDs()
        #expect(load.unanswered().isEmpty, "sends never acknowledged: \(load.told(load.unanswered().prefix(10)))")
        #expect(sent.count > 500, "the load ran (\(sent.count) messages)")

        // Exactly one row per acknowledged send: none lost, none doubled.
        let rows = try await node.sql("SELECT split_part(client_key, ':', 3), count(*) FROM messages WHERE sender_type = 'visitor' GROUP BY 1")
        let stored = Dictionary(uniqueKeysWithValues: rows.map { ($0[0] ?? "", Int($0[1] ?? "") ?? 0) })
        #expect(stored.values.allSatisfy { $0 == 1 }, "a client id stored twice")
        #expect(Set(stored.keys) == sent, "stored \(stored.count), sent \(sent.count)")
        let ready = try await node.process.get("/readyz")
        #expect(ready.status.code == 200)
        let metrics = String(buffer: try #require(try await node.process.get("/metrics").body))
        #expect(metrics.contains(#"kefu_writer_queue_depth{shard="0"} 0"#))
        #expect(metrics.contains(#"kefu_writer_last_batch_timestamp_seconds{shard="0"}"#))
        #expect(metrics.contains("kefu_node_loop_lag_seconds "), "how far the node's threads ran behind")
    }

    @Test func aStalledWriterMakesTheNodeUnreadyUntilItCommitsAgain() async throws {
        let node = try await PrivateClusterNode.start()
        defer { node.stop() }
        let load = VisitorLoad(port: node.process.port, widgetKey: node.widgetKey, visitors: 4, node: node.process)
        try await load.connect()
        let writers = Task { await load.run() }
        try await Task.sleep(for: .seconds(1))
        try await node.pgCtl(["stop", "-m", "fast"])
        // Sends keep coming and cannot commit: within about five seconds the node says so.
        var unready = false
        for _ in 0..<40 where !unready {
            try await Task.sleep(for: .milliseconds(250))
            unready = (try? await node.process.get("/readyz").status.code) == 503
        }
        #expect(unready, "/readyz stayed 200 with the database gone")
        try await node.pgCtl(["start"])
        try await load.expectCaughtUp(within: .seconds(10), after: "start")
        load.stopSending()
        await writers.value
        var ready = false
        for _ in 0..<40 where !ready {
            ready = (try? await node.process.get("/readyz").status.code) == 200
            if !ready { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(ready)
        #expect(load.unanswered().isEmpty, "sends never acknowledged: \(load.told(load.unanswered().prefix(10)))")
    }
}

/// A `kefu serve` with its own built-in PostgreSQL cluster in a fresh data directory.
struct PrivateClusterNode: Sendable {
    let process: KefuProcess
    let dataDirectory: URL
    let widgetKey: String

    static func start() async throws -> PrivateClusterNode {
        // Short: the cluster's Unix socket path must stay under 100 bytes.
        let directory = URL(fileURLWithPath: "/tmp/kefu-wr-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = try KefuProcess(["serve"], environment: [
            "KEFU_DATA_DIR": directory.path, "KEFU_WS_UPGRADE_RATE_LIMIT": "0",
        ])
        try await process.waitUntilReady(timeout: .seconds(120))
        let key = try #require(process.output.split(separator: "\n").first { $0.contains("Demo widget key: kfw_") }?
            .split(separator: " ").first { $0.hasPrefix("kfw_") }.map(String.init))
        return PrivateClusterNode(process: process, dataDirectory: directory, widgetKey: key)
    }

    /// Runs `pg_ctl` on the node's cluster, as the cluster's owner (with Tenancy's `Subprocess`:
    /// Foundation's `Process` would wait for the server `pg_ctl` leaves running).
    func pgCtl(_ arguments: [String]) async throws {
        let cluster = dataDirectory.appendingPathComponent("postgres").path
        var command = arguments + ["-D", cluster, "-w", "-t", "60"]
        if arguments.first != "stop" { command += ["-l", cluster + "/server.log"] }
        let result = try await Subprocess.run(Self.pgBin("pg_ctl"), command, as: getuid() == 0 ? "postgres" : nil)
        try #require(result.succeeded, "pg_ctl \(arguments.joined(separator: " ")) failed: \(result.output)")
    }

    /// Runs `sql` as the cluster's superuser (every tenant's rows: the superuser bypasses RLS).
    func sql(_ sql: String) async throws -> [[String?]] {
        let socketDirectory = dataDirectory.appendingPathComponent("run").path
        let output = Pipe()
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: Self.pgBin("psql"))
        psql.arguments = ["-h", socketDirectory, "-U", "kefu", "-d", "kefu", "-At", "-F", "\t", "-c", sql]
        psql.standardOutput = output
        try psql.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        psql.waitUntilExit()
        try #require(psql.terminationStatus == 0, "psql failed: \(sql)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0) }
        }
    }

    func stop() {
        process.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(30)
        while process.process.isRunning && Date() < deadline { usleep(100_000) }
        if process.process.isRunning { process.signal(SIGKILL) }
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    static func pgBin(_ name: String) -> String {
        let directory = ProcessInfo.processInfo.environment["KEFU_TEST_PG_BIN_DIR"] ?? "/usr/lib/postgresql/15/bin"
        return directory + "/" + name
    }

}

/// Visitors that keep writing (about 7 messages a second each, under the per-visitor limit of 10,
/// with a burst of 5 every few seconds), as a widget with an outbox would: at most 10 messages
/// unacknowledged at once, the rest typed but held back; whatever is refused or unanswered is
/// resent with the same client id; a closed socket comes back with its visitor token. Every send
/// and ack is counted.
final class VisitorLoad: Sendable {
    private struct State {
        var sent: Set<String> = []
        var pending: [String: (text: String, visitor: Int, lastTry: ContinuousClock.Instant)] = [:]
        /// What the server last said about each send not yet acknowledged, and how often it was
        /// sent: printed when a test fails, so a rare failure tells what happened.
        var story: [String: (tries: Int, lastAnswer: String)] = [:]
        var sending = true
    }

    let port: Int
    let widgetKey: String
    let visitors: Int
    /// The node under load, whose warnings a failure quotes.
    let node: KefuProcess
    private let state = Mutex(State())
    private let sockets = Mutex<[Int: (WebSocketTestClient, String?)]>([:])

    init(port: Int, widgetKey: String, visitors: Int, node: KefuProcess) {
        self.node = node
        self.port = port
        self.widgetKey = widgetKey
        self.visitors = visitors
    }

    func connect() async throws {
        for index in 0..<visitors { try await reconnect(index) }
    }

    private func reconnect(_ index: Int) async throws {
        let token = sockets.withLock { $0[index]?.1 }
        let socket = try await WebSocketTestClient.connect(port: port, path: "/ws/visitor?key=\(widgetKey)",
                                                          headers: [("Origin", "http://127.0.0.1:\(port)")])
        var hello: [String: any Sendable] = ["type": "hello", "v": 1, "profile": ["name": "Visitor \(index)"] as [String: any Sendable]]
        if let token { hello["token"] = token }
        try await socket.send(hello)
        let welcome = try await socket.next("welcome", timeout: .seconds(15))
        let newToken = welcome["token"] as? String ?? token
        sockets.withLock { $0[index] = (socket, newToken) }
    }

    func stopSending() { state.withLock { $0.sending = false } }
    func sentClientIDs() -> Set<String> { state.withLock { $0.sent } }
    func unanswered() -> [String] { state.withLock { Array($0.pending.keys) } }

    /// Each send with how often it went out and what the server last said of it.
    func told(_ ids: some Sequence<String>) -> [String] {
        state.withLock { state in
            ids.map { id in "\(id) (sent \(state.story[id]?.tries ?? 0)×, last answer: \(state.story[id]?.lastAnswer ?? "none"))" }
        }
    }

    /// Waits until every send made so far has been acknowledged.
    func expectCaughtUp(within limit: Duration, after event: String) async throws {
        let marked = state.withLock { Set($0.pending.keys).union($0.sent) }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let open = state.withLock { state in marked.filter { state.pending[$0] != nil } }
            if open.isEmpty { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let open = state.withLock { state in marked.filter { state.pending[$0] != nil } }
        let warnings = node.output.split(separator: "\n").filter { $0.contains("warning") || $0.contains("error") }.suffix(12)
        Issue.record("""
            \(open.count) sends still unacknowledged \(limit) after \(event): \(told(open.sorted().prefix(5)))
            the node's last warnings:
            \(warnings.joined(separator: "\n"))
            """)
    }

    /// Runs every visitor until sending stops and all its sends are acknowledged (or 60 s pass).
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<visitors {
                group.addTask { await self.visit(index) }
            }
        }
    }

    private func visit(_ index: Int) async {
        var counter = 0
        var nextSend = ContinuousClock.now
        let giveUp = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < giveUp {
            let (sending, mine) = state.withLock { state in
                (state.sending, state.pending.filter { $0.value.visitor == index })
            }
            if !sending && mine.isEmpty { return }
            guard let socket = sockets.withLock({ $0[index]?.0 }) else { return }
            let now = ContinuousClock.now
            if sending && now >= nextSend && mine.count < 10 {
                // Every 30th tick a burst of 5 sends at once.
                let burst = counter % 30 == 29 ? 5 : 1
                for _ in 0..<burst {
                    counter += 1
                    let clientID = "v\(index)-\(counter)"
                    let text = "消息 \(counter) from visitor \(index)"
                    state.withLock { state in
                        state.sent.insert(clientID)
                        state.pending[clientID] = (text, index, now)
                        state.story[clientID] = (1, "none")
                    }
                    try? await socket.send(["type": "send", "clientId": clientID, "text": text, "ref": clientID])
                }
                nextSend = now + .milliseconds(150)
            }
            // Unanswered for 2 s: resend with the same client id.
            for (clientID, entry) in mine where now - entry.lastTry > .seconds(2) {
                state.withLock { state in
                    state.pending[clientID]?.lastTry = now
                    state.story[clientID]?.tries += 1
                }
                try? await socket.send(["type": "send", "clientId": clientID, "text": entry.text, "ref": clientID])
            }
            let frame: JSONFrame?
            do {
                frame = try await socket.next(timeout: .milliseconds(50))
            } catch {
                continue // nothing arrived in time
            }
            guard let frame else {
                // Closed by the server: come back with the same visitor token.
                let code = await socket.closeCode.map { "\($0)" } ?? "none"
                state.withLock { state in
                    for id in mine.keys { state.story[id]?.lastAnswer = "socket closed (\(code))" }
                }
                try? await Task.sleep(for: .milliseconds(200))
                do { try await reconnect(index) } catch {
                    state.withLock { state in
                        for id in mine.keys { state.story[id]?.lastAnswer = "reconnect failed: \(error)" }
                    }
                }
                continue
            }
            switch frame["type"] as? String {
            case "ack":
                if let ref = frame["ref"] as? String {
                    state.withLock { state in
                        state.pending.removeValue(forKey: ref)
                        state.story.removeValue(forKey: ref)
                    }
                }
            case "error":
                // unavailable / overloaded / rate-limited: resend soon (sooner than the 2 s timeout).
                if let ref = frame["ref"] as? String {
                    let wait = Duration.milliseconds(frame["retryAfterMs"] as? Int ?? (frame["code"] as? String == "rate-limited" ? 1_000 : 200))
                    state.withLock { state in
                        state.pending[ref]?.lastTry = now - .seconds(2) + wait
                        state.story[ref]?.lastAnswer = frame["code"] as? String ?? "error"
                    }
                }
            default:
                break
            }
        }
    }
}

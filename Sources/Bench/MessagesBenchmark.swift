import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Scenarios 2 and 3: M visitors send at a target total rate; agent sockets (on the same node,
/// or another with `--agent-url`) follow every conversation. Reports delivered messages per
/// second, send-to-receipt latency percentiles, and messages lost (acknowledged, never
/// delivered) or duplicated — both must be zero.
struct MessagesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messages", abstract: "Message rate, latency, loss and duplicates.")

    @Option(help: "The node visitors connect to, as http://IPv4:port.") var url = "http://127.0.0.1:8080"
    @Option(help: "The node agents connect to (default: the same).") var agentUrl: String?
    @Option var tenant = "demo"
    @Option var email = "owner@demo.kefu.local"
    @Option var password: String
    @Option(help: "Conversations (one visitor socket each).") var conversations = 1000
    @Option(help: "Agent sockets sharing the conversations.") var agents = 10
    @Option(help: "Target messages per second, in all.") var rate = 5000
    @Option(help: "Seconds of sending.") var duration = 20
    @Option(help: "Sensitive-word rules to import first (random: they match none of the messages, so every message is scanned in full).")
    var wordRules = 0
    @Option(help: "The visitors' node's process id, to report its RSS before and after (memory stays flat under overload).")
    var serverPid: Int32?
    @Flag(help: "Visitors behave as the widget does: a message refused with `overloaded` is sent again with its clientId after `retryAfterMs`, and its visitor sends nothing new meanwhile.")
    var politeClients = false
    @Flag(help: "Also print accepted messages' latency by the second they were sent in (does a queue build up during the run?).")
    var timeline = false

    final class Tally: Sendable {
        struct State {
            var errors: [String: Int] = [:]
            var seen = Set<Int64>()
            var duplicates = 0
            var latency = LatencySample()
            /// By the second (since the generator's start) each message was sent in.
            var bySecond: [Int64: LatencySample] = [:]
            /// With --timeline: send → ack on the visitor's own socket (ends at the commit, before delivery).
            var ackLatency = LatencySample()
        }
        let state = Mutex(State())
        let sent = Atomic<Int>(0)
        let acked = Atomic<Int>(0)
        let agentWelcomes = Atomic<Int>(0)
        let subscribed = Atomic<Int>(0)
        /// With --timeline: when each message (visitor << 32 | number) was last sent.
        let sentAt = Mutex([Int64: Int64]())
        let conversationIDs = Mutex([Int: (id: String, seq: Int)]())
        /// Polite clients: until when (ns since the start) each refused visitor waits, and the
        /// refused messages to send again then.
        let refused = Mutex((pausedUntil: [Int: Int64](), resend: [(index: Int, number: Int, at: Int64)](), heldBack: 0, resent: 0))
    }

    func run() async throws {
        let (host, port) = try hostAndPort(url)
        let writerBefore = try WriterTotals.scrape(host: host, port: port)
        let rssBefore = serverPid.flatMap { residentKilobytes(pid: $0) }
        let (agentHost, agentPort) = try hostAndPort(agentUrl ?? url)
        let setup = try BenchSetup.prepare(host: host, port: port, tenant: tenant, email: email, password: password)
        if wordRules > 0 {
            let took = try setup.importWordRules(wordRules, host: host, port: port)
            print(String(format: "imported %d sensitive-word rules in %.2f s (matcher rebuilt before the answer)", wordRules, took.milliseconds / 1000))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let tally = Tally()
        let clock = ContinuousClock()
        let origin = clock.now

        // Agents: each follows its share of the conversations.
        var agentChannels: [any Channel] = []
        for agent in 0..<agents {
            agentChannels.append(try await BenchSocket.connect(
                group: group, host: agentHost, port: agentPort, path: "/ws/agent", headers: [("Authorization", "Bearer \(setup.token)")]
            ) { frame in
                Self.agentReceived(frame, agent: agent, of: agents, tally: tally, clock: clock, origin: origin)
            })
        }
        try await waitFor("agent welcomes") { tally.agentWelcomes.load(ordering: .relaxed) >= agents }

        // Visitors: hello, then one warm-up message that opens the conversation.
        var visitorChannels: [any Channel] = []
        for index in 0..<conversations {
            let channel = try await BenchSocket.connect(
                group: group, host: host, port: port, path: "/ws/visitor?key=\(setup.widgetKey)", headers: [("Origin", "http://bench.local")]
            ) { [politeClients] frame in
                Self.visitorReceived(frame, index: index, tally: tally, polite: politeClients, now: (clock.now - origin).nanoseconds)
            }
            BenchSocket.send(#"{"type":"hello","v":1}"#, on: channel)
            BenchSocket.send(#"{"type":"send","clientId":"warm-up","text":"hello","ref":"w"}"#, on: channel)
            visitorChannels.append(channel)
        }
        // A warm-up refused (`overloaded` while thousands of conversations open at once) is sent
        // again, with the same clientId, as a client would: stored once whatever happens.
        let warmUpStarted = ContinuousClock.now
        while tally.conversationIDs.withLock({ $0.count }) < conversations {
            guard ContinuousClock.now < warmUpStarted + .seconds(180) else { throw ValidationError("timed out waiting for warm-up acks") }
            try await Task.sleep(for: .seconds(1))
            let opened = tally.conversationIDs.withLock { Set($0.keys) }
            for index in 0..<conversations where !opened.contains(index) {
                BenchSocket.send(#"{"type":"send","clientId":"warm-up","text":"hello","ref":"w"}"#, on: visitorChannels[index])
            }
        }
        FileHandle.standardError.write(Data(String(format: "  warm-up acks: %.1f s\n", (ContinuousClock.now - warmUpStarted).seconds).utf8))
        let ids = tally.conversationIDs.withLock { $0 }
        // In rounds of at most 40 subscriptions per socket (a socket may queue 64 frames), each
        // closed by a ping: a socket's frames are handled in order, so its pong means they are done.
        let ordered = ids.sorted { $0.key < $1.key }
        var rounds = 0
        for start in stride(from: 0, to: ordered.count, by: 40 * agents) {
            for (index, conversation) in ordered[start..<min(ordered.count, start + 40 * agents)] {
                BenchSocket.send(#"{"type":"subscribe","conversationId":"\#(conversation.id)","afterSeq":\#(conversation.seq)}"#,
                                 on: agentChannels[index % agents])
            }
            for channel in agentChannels { BenchSocket.send(#"{"type":"ping","ref":"subscribed"}"#, on: channel) }
            rounds += 1
            let expected = rounds * agents
            try await waitFor("subscriptions", quiet: true) { tally.subscribed.load(ordering: .relaxed) >= expected }
        }

        // Send at the target rate: every 10 ms, the next slice of visitors sends one message each.
        // Each event loop gets its share of a tick in one hop and writes it itself, stamping the
        // send time there, so the generator's own thread hops are neither cost nor latency.
        let perTick = Double(rate) / 100
        var debt = 0.0
        var counters = [Int](repeating: 0, count: conversations)
        var cursor = 0
        let channels = visitorChannels
        let start = clock.now
        var tick = start
        // With --timeline: the node's loop lag (the most its threads ran behind), second by second.
        let lagBySecond = Mutex([Int: Double]())
        let lagWatch = timeline ? Task.detached {
            for second in 0... {
                try await Task.sleep(until: start.advanced(by: .seconds(second + 1)), clock: clock)
                if let lag = try? WriterTotals.scrape(host: host, port: port).loopLag { lagBySecond.withLock { $0[second] = lag } }
            }
        } : nil
        // And the generator's own loops: how late a 10 ms tick runs on them, second by second
        // (a message's latency includes the generator reading its delivery).
        let generatorLag = Mutex([Int: Double]())
        let generatorTicks: [RepeatedTask] = timeline ? group.makeIterator().map { loop in
            let due = Mutex(clock.now + .milliseconds(10))
            return loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in
                let now = clock.now
                let late = due.withLock { due in defer { due = now + .milliseconds(10) }; return max(.zero, now - due) }
                generatorLag.withLock { $0[Int((now - start).seconds), default: 0] = max($0[Int((now - start).seconds), default: 0], late.seconds) }
            }
        } : []
        while clock.now - start < .seconds(duration) {
            debt += perTick
            var slices: [ObjectIdentifier: (loop: any EventLoop, sends: [(index: Int, number: Int)])] = [:]
            let now = (clock.now - origin).nanoseconds
            let (paused, due): ([Int: Int64], [(index: Int, number: Int, at: Int64)]) = politeClients ? tally.refused.withLock { refused in
                let due = refused.resend.filter { $0.at <= now }
                refused.resend.removeAll { $0.at <= now }
                refused.resent += due.count
                return (refused.pausedUntil.filter { $0.value > now }, due)
            } : ([:], [])
            for (index, number, _) in due {
                let loop = channels[index].eventLoop
                slices[ObjectIdentifier(loop), default: (loop, [])].sends.append((index, number))
            }
            var heldBack = 0
            while debt >= 1 {
                debt -= 1
                let index = cursor % conversations
                cursor += 1
                if paused[index] != nil {
                    heldBack += 1
                    continue
                }
                counters[index] += 1
                let loop = channels[index].eventLoop
                slices[ObjectIdentifier(loop), default: (loop, [])].sends.append((index, counters[index]))
            }
            if heldBack > 0 { tally.refused.withLock { $0.heldBack += heldBack } }
            for (loop, sends) in slices.values {
                loop.execute {
                    let sentAt = (clock.now - origin).nanoseconds
                    if timeline {
                        tally.sentAt.withLock { stamps in for (index, number) in sends { stamps[Int64(index) << 32 | Int64(number)] = sentAt } }
                    }
                    for (index, number) in sends {
                        channels[index].writeAndFlush(
                            BenchSocket.frame(#"{"type":"send","clientId":"m\#(number)","ref":"m\#(number)","text":"bench \#(index) \#(number) \#(sentAt)"}"#),
                            promise: nil)
                    }
                    tally.sent.add(sends.count, ordering: .relaxed)
                }
            }
            tick = tick.advanced(by: .milliseconds(10))
            try await Task.sleep(until: tick, clock: clock)
        }
        let sendingTime = clock.now - start
        lagWatch?.cancel()
        for tick in generatorTicks { tick.cancel() }
        // Let the tail arrive: until every acknowledged message is delivered, or 15 s pass.
        let deadline = clock.now + .seconds(15)
        while clock.now < deadline {
            let (sent, acked) = (tally.sent.load(ordering: .relaxed), tally.acked.load(ordering: .relaxed))
            let (delivered, errors) = tally.state.withLock { ($0.seen.count, $0.errors.values.reduce(0, +)) }
            if acked + errors >= sent && delivered >= acked { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let state = tally.state.withLock { $0 }
        let (sent, acked) = (tally.sent.load(ordering: .relaxed), tally.acked.load(ordering: .relaxed))
        let seconds = sendingTime.seconds
        print(String(format: "messages: %d conversations, %d agent sockets%@, target %d msg/s for %.0f s",
                     conversations, agents, agentUrl == nil ? "" : " on another node", rate, seconds))
        print(String(format: "sent %d, acknowledged %d, delivered %d (%.0f msg/s), lost %d, duplicated %d, errors %@",
                     sent, acked, state.seen.count, Double(state.seen.count) / seconds,
                     max(0, acked - state.seen.count), state.duplicates, state.errors.isEmpty ? "none" : "\(state.errors)"))
        if politeClients {
            let refused = tally.refused.withLock { $0 }
            print("polite clients: \(refused.resent) refused messages sent again after retryAfterMs, \(refused.heldBack) new sends held back meanwhile")
        }
        print(String(format: "send → receipt latency: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
                     state.latency.percentile(50), state.latency.percentile(99), state.latency.percentile(99.9), state.latency.percentile(100)))
        if timeline {
            print(String(format: "send → ack (visitor's socket, at the commit): p50 %.2f ms, p99 %.2f ms",
                         state.ackLatency.percentile(50), state.ackLatency.percentile(99)))
        }
        if timeline, let first = state.bySecond.keys.min() {
            for (second, sample) in state.bySecond.sorted(by: { $0.key < $1.key }) {
                var lag = lagBySecond.withLock { $0[Int(second - first)] }.map { String(format: ", node loop lag up to %5.0f ms", $0 * 1000) } ?? ""
                lag += generatorLag.withLock { $0[Int(second - first)] }.map { String(format: ", generator's up to %5.0f ms", $0 * 1000) } ?? ""
                print(String(format: "  second %2d: %5d accepted, p50 %7.1f ms, p99 %7.1f ms%@", second - first, sample.count,
                             sample.percentile(50), sample.percentile(99), lag))
            }
        }
        if let serverPid, let rssBefore, let rssAfter = residentKilobytes(pid: serverPid) {
            print(String(format: "server RSS: %.1f MB before the sockets, %.1f MB after sending", Double(rssBefore) / 1024, Double(rssAfter) / 1024))
        }
        let writer = try WriterTotals.scrape(host: host, port: port) - writerBefore
        print(String(format: "writer (visitors' node): %.0f batches, %.1f messages per batch, %.2f ms per batch round trip",
                     writer.batches, writer.messages / max(1, writer.batches), writer.seconds * 1000 / max(1, writer.batches)))
        for channel in visitorChannels + agentChannels { channel.close(promise: nil) }
        try await group.shutdownGracefully()
        if state.duplicates > 0 || acked > state.seen.count { throw ExitCode(1) }
    }

    static func visitorReceived(_ frame: ByteBuffer, index: Int, tally: Tally, polite: Bool, now: Int64) {
        // Most frames are acks and echoes of the visitor's own messages: recognise them from the
        // bytes, so the load generator spends its CPU on load, not on parsing.
        if frame.contains(#""type":"ack""#) {
            if frame.contains(#""clientId":"warm-up""#),
               let object = try? JSONSerialization.jsonObject(with: Data(frame.readableBytesView)) as? [String: Any],
               let id = object["conversationId"] as? String, let seq = object["seq"] as? Int {
                tally.conversationIDs.withLock { $0[index] = (id, seq) }
            } else {
                tally.acked.add(1, ordering: .relaxed)
                if let number = frame.integer(after: #""ref":"m"#),
                   let sentAt = tally.sentAt.withLock({ $0[Int64(index) << 32 | Int64(number)] }) {
                    tally.state.withLock { $0.ackLatency.record(.nanoseconds(now - sentAt)) }
                }
            }
        } else if frame.contains(#""type":"error""#), !frame.contains(#""ref":"w""#) {
            if polite, frame.contains(#""code":"overloaded""#), let number = frame.integer(after: #""ref":"m"#) {
                let wait = Int64(frame.integer(after: #""retryAfterMs":"#) ?? 1000) * 1_000_000
                tally.refused.withLock { refused in
                    refused.pausedUntil[index] = max(refused.pausedUntil[index] ?? 0, now + wait)
                    refused.resend.append((index, number, now + wait))
                }
            }
            let code = (try? JSONSerialization.jsonObject(with: Data(frame.readableBytesView)) as? [String: Any])?["code"] as? String ?? "?"
            tally.state.withLock { $0.errors[code, default: 0] += 1 }
        }
    }

    /// Counts a benchmark message on the agent socket that subscribed to its conversation (the
    /// signed-in owner may follow more, as assignee: those copies are not counted).
    static func agentReceived(_ frame: ByteBuffer, agent: Int, of agents: Int, tally: Tally, clock: ContinuousClock, origin: ContinuousClock.Instant) {
        let receivedAt = (clock.now - origin).nanoseconds
        // The body is "bench <visitor> <number> <sent at>"; read it straight from the frame's bytes.
        guard let body = frame.range(of: #""text":"bench "#) else {
            if frame.contains(#""ref":"subscribed""#) {
                tally.subscribed.add(1, ordering: .relaxed)
            } else if frame.contains(#""type":"welcome""#) {
                tally.agentWelcomes.add(1, ordering: .relaxed)
            }
            return
        }
        var fields: [Int64] = []
        var value: Int64 = 0
        var digits = 0
        for byte in frame.readableBytesView.dropFirst(body.upperBound) {
            if byte >= 0x30 && byte <= 0x39 {
                value = value * 10 + Int64(byte - 0x30)
                digits += 1
                continue
            }
            guard digits > 0 else { return }
            fields.append(value)
            value = 0
            digits = 0
            if byte != 0x20 { break }
        }
        guard fields.count == 3, Int(fields[0]) % agents == agent else { return }
        let (visitor, number, sentAt) = (fields[0], fields[1], fields[2])
        let latency = Duration.nanoseconds(receivedAt - sentAt)
        tally.state.withLock { state in
            if state.seen.insert(visitor << 32 | number).inserted {
                state.latency.record(latency)
                state.bySecond[sentAt / 1_000_000_000, default: LatencySample()].record(latency)
            } else {
                state.duplicates += 1
            }
        }
    }

    func waitFor(_ what: String, timeout: Duration = .seconds(120), quiet: Bool = false, _ done: () -> Bool) async throws {
        let started = ContinuousClock.now
        while !done() {
            guard ContinuousClock.now < started + timeout else { throw ValidationError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        if !quiet { FileHandle.standardError.write(Data(String(format: "  %@: %.1f s\n", what, (ContinuousClock.now - started).seconds).utf8)) }
    }
}

extension ByteBuffer {
    /// The decimal number right after the first `marker` in the readable bytes.
    func integer(after marker: StaticString) -> Int? {
        guard let range = range(of: marker) else { return nil }
        var value = 0
        var digits = 0
        for byte in readableBytesView.dropFirst(range.upperBound) {
            guard byte >= 0x30 && byte <= 0x39 else { break }
            value = value * 10 + Int(byte - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The group-commit writer's counters, from a node's /metrics.
struct WriterTotals {
    var batches = 0.0
    var messages = 0.0
    var seconds = 0.0
    /// The most the node's threads ran behind since the previous scrape (seconds).
    var loopLag = 0.0

    static func scrape(host: String, port: Int) throws -> WriterTotals {
        let response = try HTTPConnection(host: host, port: port).request("GET", "/metrics")
        var totals = WriterTotals()
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            switch parts[0] {
            case "kefu_writer_batches_total": totals.batches = value
            case "kefu_writer_messages_total": totals.messages = value
            case "kefu_writer_commit_seconds_total": totals.seconds = value
            case "kefu_node_loop_lag_seconds": totals.loopLag = value
            default: break
            }
        }
        return totals
    }

    static func - (lhs: WriterTotals, rhs: WriterTotals) -> WriterTotals {
        WriterTotals(batches: lhs.batches - rhs.batches, messages: lhs.messages - rhs.messages, seconds: lhs.seconds - rhs.seconds)
    }
}

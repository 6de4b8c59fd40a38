import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The bot's costs, against a provider in this process (`BenchProvider`, so one clock measures
/// both sides): knowledge search at `--chunks` chunks with and without embeddings; what Kefu adds
/// before the provider is asked (visitor send → provider request: storing, retrieval, prompt) and
/// until the first streamed frame; delta → frame (provider writes a delta → the visitor's socket
/// has it); many slow answers at once (1 s first token, 20 tokens/s) with the server's memory per
/// stream; and the `messages` scenario's human p99 alone, beside bot conversations hanging on
/// their provider, and alone again.
struct BotBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bot", abstract: "Bot overhead, streaming latency, concurrent streams, human p99 beside a hanging provider.")

    @Option(help: "The server, as http://IPv4:port.") var url = "http://127.0.0.1:8080"
    @Option var tenant = "demo"
    @Option var email = "owner@demo.kefu.local"
    @Option var password: String
    @Option(help: "Chunks of knowledge to index first.") var chunks = 10_000
    @Option(help: "Knowledge searches per language and mode.") var searches = 200
    @Option(help: "Questions timed for the first-token overhead, per mode.") var questions = 200
    @Option(help: "Slow answers streamed at once.") var streams = 200
    @Option(help: "The messages scenario's rate beside the hanging bot conversations.") var humanRate = 5000
    @Option(help: "Seconds of each human run.") var humanDuration = 15
    @Option(help: "Bot conversations hanging on their provider during the second human run.") var hanging = 200
    @Option(help: "The server's process id, for its memory per stream.") var serverPid: Int32?
    @Flag(help: "Only the full-text phases (searches, send → provider asked): to compare two builds quickly.") var fullTextOnly = false

    func run() async throws {
        let (host, port) = try hostAndPort(url)
        let setup = try BenchSetup.prepare(host: host, port: port, tenant: tenant, email: email, password: password)
        let api = try HTTPConnection(host: host, port: port)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let provider = try await BenchProvider.start(group: group)
        let created = try call(api, "POST", "/api/v1/llm/providers", setup.token, [
            "name": "Bench", "kind": "openai-compatible", "baseUrl": provider.baseURL, "model": "bench", "isDefault": true,
            "maxConcurrent": 1000, "requestsPerMinute": 100_000, "maxBotTurns": 100, "firstTokenTimeoutMs": 120_000, "totalTimeoutMs": 600_000,
        ])
        let providerID = created["id"] as? String ?? ""
        _ = try call(api, "PATCH", "/api/v1/widgets/\(setup.widgetID)", setup.token, ["bot": ["enabled": true]])

        var corpus = KnowledgeCorpus()
        let took = try corpus.index(chunks: chunks, connection: api, token: setup.token)
        print(String(format: "indexed %d chunks in %.1f s", (chunks + 99) / 100 * 100, took.seconds))
        try corpus.timeSearches(searches, connection: api, token: setup.token, label: "(full text)")
        try await firstToken(label: "full text", corpus: &corpus, provider: provider, group: group, host: host, port: port, key: setup.widgetKey)
        if fullTextOnly {
            await provider.stop()
            try await group.shutdownGracefully()
            return
        }

        _ = try call(api, "PATCH", "/api/v1/llm/providers/\(providerID)", setup.token, ["embeddingModel": "bench-embedding", "embeddingMinSimilarity": 0.2])
        let embedded = try await waitForEmbeddings(api, token: setup.token)
        print(String(format: "embedded %d chunks in %.1f s (256 dimensions, batches of 32)", embedded.chunks, embedded.took.seconds))
        try corpus.timeSearches(searches, connection: api, token: setup.token, label: "(full text + embeddings, fused)")
        try await firstToken(label: "full text + embeddings", corpus: &corpus, provider: provider, group: group, host: host, port: port, key: setup.widgetKey)

        try await deltaToFrame(corpus: &corpus, provider: provider, group: group, host: host, port: port, key: setup.widgetKey)
        try await slowStreams(corpus: &corpus, group: group, host: host, port: port, key: setup.widgetKey)
        try await humanBesideHangingBots(corpus: &corpus, group: group, host: host, port: port, key: setup.widgetKey)
        await provider.stop()
        try await group.shutdownGracefully()
    }

    /// Visitor send → the provider's request arriving (Kefu's overhead), and → the first `stream`
    /// frame, with a provider that answers at once. 20 visitors, questions one after another.
    func firstToken(label: String, corpus: inout KnowledgeCorpus, provider: BenchProvider, group: any EventLoopGroup, host: String, port: Int,
                    key: String) async throws {
        var overhead = LatencySample()
        var firstFrame = LatencySample()
        var visitors: [BotVisitor] = []
        for _ in 0..<20 { visitors.append(try await BotVisitor.connect(group: group, host: host, port: port, widgetKey: key)) }
        var withoutProvider = 0
        for index in 0..<questions {
            let visitor = visitors[index % visitors.count]
            let sent = visitor.send(corpus.question() + " [q:\(label)-\(index)]")
            // A FAQ or "nothing found" answer comes without a stream: not a provider's first token.
            var first: ContinuousClock.Instant?
            try await visitor.untilAnswered { frame in
                if frame.type == "stream", first == nil { first = frame.at }
            }
            guard let first, let arrived = provider.arrival(of: "\(label)-\(index)") else {
                withoutProvider += 1
                continue
            }
            overhead.record(arrived - sent)
            firstFrame.record(first - sent)
        }
        for visitor in visitors { try? await visitor.channel.close() }
        print(overhead.summary("send → provider asked (\(label))") + (withoutProvider > 0 ? " (\(withoutProvider) answered without the provider)" : ""))
        print(firstFrame.summary("send → first streamed frame (\(label))"))
    }

    /// Deltas written by the provider 5 ms apart → the `stream` frame carrying each, at the visitor.
    func deltaToFrame(corpus: inout KnowledgeCorpus, provider: BenchProvider, group: any EventLoopGroup, host: String, port: Int,
                      key: String) async throws {
        // Questions the knowledge answers: twice "nothing found" would hand the conversation over.
        let questions = (0..<20).map { _ in (0..<5).map { _ in corpus.question() } }
        var sample = LatencySample()
        try await withThrowingTaskGroup(of: LatencySample.self) { tasks in
            for asked in questions {
                tasks.addTask {
                    var sample = LatencySample()
                    let visitor = try await BotVisitor.connect(group: group, host: host, port: port, widgetKey: key)
                    for round in 0..<5 {
                        let key = "\(visitor.user)-\(round)"
                        visitor.send(asked[round] + " [stream] [q:\(key)]")
                        try await visitor.untilAnswered { frame in
                            guard frame.type == "stream", let delta = frame.json["delta"] as? String else { return }
                            for number in Self.markers(delta) {
                                if let written = provider.deltaWritten(key, number) { sample.record(frame.at - written) }
                            }
                        }
                    }
                    try? await visitor.channel.close()
                    return sample
                }
            }
            for try await part in tasks { sample.merge(part) }
        }
        print(sample.summary("provider delta → visitor frame (20 answers at once, 40 deltas each)"))
    }

    static func markers(_ text: String) -> [Int] {
        text.split(separator: "§").compactMap { Int($0) }
    }

    /// `streams` slow answers at once: how long until all are stored, and the server's memory.
    func slowStreams(corpus: inout KnowledgeCorpus, group: any EventLoopGroup, host: String, port: Int, key: String) async throws {
        // Questions the knowledge answers: a "nothing found" answer would skip the provider.
        let questions = (0..<streams).map { _ in corpus.question() + " [slow]" }
        var visitors: [BotVisitor] = []
        for _ in 0..<streams { visitors.append(try await BotVisitor.connect(group: group, host: host, port: port, widgetKey: key)) }
        let before = serverPid.flatMap { residentKilobytes(pid: $0) }
        let started = ContinuousClock.now
        let peak = PeakMemory(pid: serverPid)
        let sampler = Task { await peak.sample() }
        let answered = try await withThrowingTaskGroup(of: Bool.self) { tasks in
            for (visitor, question) in zip(visitors, questions) {
                tasks.addTask {
                    visitor.send(question)
                    let answer = try? await visitor.untilAnswered(within: .seconds(120)) { _ in }
                    return ((answer?.json["message"] as? [String: Any])?["text"] as? String)?.hasPrefix("word0") == true
                }
            }
            var count = 0
            for try await ok in tasks where ok { count += 1 }
            return count
        }
        let elapsed = ContinuousClock.now - started
        sampler.cancel()
        let high = await sampler.value
        for visitor in visitors { try? await visitor.channel.close() }
        print(String(format: "%d slow answers at once (1 s first token, 20 tokens/s, 60 tokens): %d stored whole in %.2f s (one alone: 4.0 s)",
                     streams, answered, elapsed.seconds))
        if let before, let high {
            print(String(format: "server RSS %.1f MB before, %.1f MB at the peak: %.1f KB per stream (sockets included)",
                         Double(before) / 1024, Double(high) / 1024, Double(high - before) / Double(streams)))
        }
    }

    /// The messages scenario alone, then with `hanging` bot conversations waiting on a provider
    /// that never answers.
    func humanBesideHangingBots(corpus: inout KnowledgeCorpus, group: any EventLoopGroup, host: String, port: Int, key: String) async throws {
        var arguments = ["--url", url, "--tenant", tenant, "--email", email, "--password", password, "--rate", String(humanRate),
                         "--duration", String(humanDuration)]
        if let serverPid { arguments += ["--server-pid", String(serverPid)] }
        print("— human messages, no bot conversations:")
        let alone = try MessagesBenchmark.parse(arguments)
        try await alone.run()
        var visitors: [BotVisitor] = []
        for _ in 0..<hanging {
            let visitor = try await BotVisitor.connect(group: group, host: host, port: port, widgetKey: key)
            visitor.send(corpus.question() + " [hang]")
            visitors.append(visitor)
        }
        print("— human messages beside \(hanging) bot conversations whose provider hangs:")
        let beside = try MessagesBenchmark.parse(arguments)
        try await beside.run()
        for visitor in visitors { try? await visitor.channel.close() }
        // Once more alone: background work left by the earlier phases (autovacuum after the
        // embeddings, say) lands on whichever run comes first.
        print("— human messages, no bot conversations, again:")
        let again = try MessagesBenchmark.parse(arguments)
        try await again.run()
    }

    func waitForEmbeddings(_ api: HTTPConnection, token: String) async throws -> (chunks: Int, took: Duration) {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(1800) {
            var total = 0
            var embedded = 0
            var cursor: String?
            repeat {
                let page = try call(api, "GET", "/api/v1/knowledge/documents?limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""), token, nil)
                for item in page["items"] as? [[String: Any]] ?? [] {
                    total += item["chunks"] as? Int ?? 0
                    embedded += item["embeddedChunks"] as? Int ?? 0
                }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            if total > 0, embedded == total { return (total, ContinuousClock.now - started) }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw ValidationError("the knowledge was not embedded within 30 minutes")
    }

    func call(_ api: HTTPConnection, _ method: String, _ path: String, _ token: String, _ body: [String: Any]?) throws -> [String: Any] {
        let json = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let answer = try api.request(method, path, json: json, bearer: token)
        guard (200..<300).contains(answer.status) else {
            throw ValidationError("\(method) \(path) answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] ?? [:]
    }
}

/// The highest resident memory of a process, sampled every 100 ms until cancelled.
struct PeakMemory: Sendable {
    let pid: Int32?

    func sample() async -> Int? {
        guard let pid else { return nil }
        var high = residentKilobytes(pid: pid) ?? 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            high = max(high, residentKilobytes(pid: pid) ?? 0)
        }
        return high
    }
}

import Foundation
import Prometheus
import Realtime
import Synchronization
import Tenancy

/// The server's Prometheus registry and the instruments the HTTP layer records into.
/// One registry per application, never the process-global metrics system, so tests can run
/// several applications in one process.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let poolInUse: Gauge
    private let poolIdle: Gauge
    private let poolMax: Gauge
    private let poolHeld: [ConnectionHolder: Gauge]
    private let writerBatches: Counter
    private let writerMessages: Counter
    private let writerSeconds: Counter
    /// The writer's totals at the last scrape: counters move by the difference.
    private let lastWriterTotals = Mutex(MessageWriter.Totals())
    /// The same for what sensitive-word rules did to messages.
    private let lastWordTotals = Mutex(WordMatchers.Totals())

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests by method, route pattern and status")
    }
    static var requestDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "HTTP request latency by method and route pattern")
    }
    static var poolConnections: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "db_pool", metricName: "connections", unitName: "",
            helpText: "Database pool connections by state")
    }

    static var wordActions: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "words", metricName: "messages", unitName: "total",
            helpText: "Messages a sensitive-word rule acted on, by action (block: refused, mask, flag) and sender")
    }
    static var wordMatchers: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "words", metricName: "matcher", unitName: "bytes",
            helpText: "Memory of the tenants' sensitive-word automata held by this node")
    }

    static var knowledgeVectors: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "knowledge", metricName: "vectors", unitName: "bytes",
            helpText: "Memory of the tenants' knowledge vectors (embeddings) held by this node for search")
    }

    static var writerQueueDepth: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "writer", metricName: "queue_depth", unitName: "",
            helpText: "Sends waiting for a batch, per writer shard")
    }
    static var loopLag: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "node", metricName: "loop_lag", unitName: "seconds",
            helpText: "The most an event loop or the task pool ran behind since the previous scrape (sends are refused beyond KEFU_MAX_LOOP_LAG_MS)")
    }
    static var writerLastBatch: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "kefu", subsystem: "writer", metricName: "last_batch_timestamp", unitName: "seconds",
            helpText: "When each writer shard last committed a batch (Unix time)")
    }

    init() {
        poolInUse = registry.makeGauge(descriptor: Self.poolConnections, labels: [("state", "in_use")])
        poolIdle = registry.makeGauge(descriptor: Self.poolConnections, labels: [("state", "idle")])
        let registry = self.registry
        poolHeld = Dictionary(uniqueKeysWithValues: ConnectionHolder.allCases.map { holder in
            (holder, registry.makeGauge(descriptor: MetricNameDescriptor(
                namespace: "kefu", subsystem: "db_pool", metricName: "connections_held", unitName: "",
                helpText: "Connections lent out, by what holds them: request transactions, the message writer, the fan-out listener, notifications"),
                labels: [("holder", holder.rawValue)]))
        })
        poolMax = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "kefu", metricName: "db_pool", unitName: "max_connections",
            helpText: "Largest number of connections the pool may open"))
        writerBatches = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "kefu", subsystem: "writer", metricName: "batches", unitName: "total",
            helpText: "Message batches committed by this node's group-commit writer"))
        writerMessages = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "kefu", subsystem: "writer", metricName: "messages", unitName: "total",
            helpText: "Messages in those batches (divide by batches for the mean batch size)"))
        writerSeconds = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "kefu", subsystem: "writer", metricName: "commit", unitName: "seconds_total",
            helpText: "Time spent in batch round trips (append and commit)"))
    }

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.requests,
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.requestDuration,
            labels: [("method", method), ("route", route)],
            buckets: Self.latencyBuckets
        ).recordNanoseconds(duration.wholeNanoseconds)
    }

    /// Reads the pool's state (one small query) and renders every metric in Prometheus text format.
    func render(database: Database, writer: MessageWriter, words: WordMatchers, vectors: KnowledgeVectors) async -> String {
        // Read under the lock: two overlapping scrapes must never see the totals go backwards
        // (a counter cannot be decremented).
        let (totals, last) = lastWriterTotals.withLock { last in
            let totals = writer.totals
            defer { last = totals }
            return (totals, last)
        }
        writerBatches.increment(by: Int64(totals.batches - last.batches))
        writerMessages.increment(by: Int64(totals.messages - last.messages))
        writerSeconds.increment(by: Double((totals.committing - last.committing).wholeNanoseconds) / 1e9)
        let (wordTotals, lastWords) = lastWordTotals.withLock { last in
            let totals = words.totals
            defer { last = totals }
            return (totals, last)
        }
        for (key, count) in wordTotals.messages where count > lastWords.messages[key] ?? 0 {
            registry.makeCounter(descriptor: Self.wordActions, labels: [("action", key.action.rawValue), ("sender", key.sender.rawValue)])
                .increment(by: Int64(count - (lastWords.messages[key] ?? 0)))
        }
        registry.makeGauge(descriptor: Self.wordMatchers).set(Double(words.footprint.bytes))
        registry.makeGauge(descriptor: Self.knowledgeVectors).set(Double(vectors.bytes))
        poolMax.set(Double(database.maximumConnections))
        let held = database.connectionsInUse
        for (holder, count) in held { poolHeld[holder]?.set(Double(count)) }
        let inUse = held.values.reduce(0, +)
        poolInUse.set(Double(inUse))
        // The scrape's own query holds one connection, counted by both numbers.
        if let open = try? await database.openConnections() {
            poolIdle.set(Double(max(0, open - inUse - 1)))
        }
        if let load = writer.load {
            registry.makeGauge(descriptor: Self.loopLag).set(Double(load.takePeak().wholeNanoseconds) / 1e9)
        }
        for (index, shard) in writer.shardReports().enumerated() {
            let labels = [("shard", String(index))]
            registry.makeGauge(descriptor: Self.writerQueueDepth, labels: labels).set(Double(shard.queueDepth))
            if let last = shard.lastBatchAt {
                registry.makeGauge(descriptor: Self.writerLastBatch, labels: labels).set(last.timeIntervalSince1970)
            }
        }
        return registry.emitToString()
    }
}


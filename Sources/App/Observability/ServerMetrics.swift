import Prometheus
import Tenancy

/// The server's Prometheus registry and the instruments the HTTP layer records into.
/// One registry per application, never the process-global metrics system, so tests can run
/// several applications in one process.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let poolInUse: Gauge
    private let poolIdle: Gauge
    private let poolMax: Gauge

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

    init() {
        poolInUse = registry.makeGauge(descriptor: Self.poolConnections, labels: [("state", "in_use")])
        poolIdle = registry.makeGauge(descriptor: Self.poolConnections, labels: [("state", "idle")])
        poolMax = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "kefu", metricName: "db_pool", unitName: "max_connections",
            helpText: "Largest number of connections the pool may open"))
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
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// Reads the pool's state (one small query) and renders every metric in Prometheus text format.
    func render(database: Database) async -> String {
        poolMax.set(Double(database.maximumConnections))
        let inUse = database.connectionsInUse
        poolInUse.set(Double(inUse))
        // The scrape's own query holds one connection, counted by both numbers.
        if let open = try? await database.openConnections() {
            poolIdle.set(Double(max(0, open - inUse - 1)))
        }
        return registry.emitToString()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

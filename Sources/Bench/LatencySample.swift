import Foundation

/// Latencies of one kind of request, in milliseconds.
struct LatencySample: Sendable {
    private(set) var values: [Double] = []

    mutating func record(_ duration: Duration) {
        values.append(Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
    }

    mutating func merge(_ other: LatencySample) {
        values += other.values
    }

    var count: Int { values.count }

    /// The nearest-rank percentile `p` (0–100), or 0 when empty.
    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    func summary(_ label: String) -> String {
        "\(label): n=\(count) " + String(format: "p50=%.2f ms p99=%.2f ms max=%.2f ms", percentile(50), percentile(99), percentile(100))
    }
}

import Foundation
import Histogram

/// Latencies of one kind of request, recorded in an HdrHistogram (microseconds, three
/// significant digits: constant memory however many are recorded), reported in milliseconds.
struct LatencySample: Sendable {
    private var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(_ duration: Duration) {
        let micros = max(0, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        _ = histogram.record(UInt64(min(micros, 600_000_000)))
    }

    mutating func merge(_ other: LatencySample) {
        histogram.add(other.histogram)
    }

    var count: Int { Int(histogram.totalCount) }

    /// The percentile `p` (0–100) in milliseconds, or 0 when empty.
    func percentile(_ p: Double) -> Double {
        guard histogram.totalCount > 0 else { return 0 }
        return Double(p >= 100 ? histogram.max : histogram.valueAtPercentile(p)) / 1000
    }

    func summary(_ label: String) -> String {
        "\(label): n=\(count) " + String(format: "p50=%.2f ms p99=%.2f ms max=%.2f ms", percentile(50), percentile(99), percentile(100))
    }
}

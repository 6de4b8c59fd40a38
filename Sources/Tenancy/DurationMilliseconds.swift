extension Duration {
    /// Whole milliseconds, rounded down: settings, limits and log lines count in milliseconds.
    public var wholeMilliseconds: Int {
        Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }

    /// Whole nanoseconds, rounded down: what NIO's timers and Prometheus histograms take.
    public var wholeNanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

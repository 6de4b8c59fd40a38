import Synchronization

/// Where a listener serves, known for certain only once it is bound: with port `0`
/// (`KEFU_PORT=0`) the system picks a free port, and what needs the address — the log line
/// operators and tests read, the demo widget's allowed origins, the HTTPS redirect — asks here.
final class ListeningAddress: Sendable {
    let scheme: String
    let host: String
    private let boundPort: Mutex<Int>

    /// Until `bound(to:)`, the configured port (which is `0` when the system picks it).
    init(scheme: String, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        boundPort = Mutex(port)
    }

    var port: Int { boundPort.withLock { $0 } }

    func bound(to port: Int) {
        boundPort.withLock { $0 = port }
    }

    /// `http://127.0.0.1:8080`, with an IPv6 host in brackets (`http://[::1]:8080`).
    var url: String {
        "\(scheme)://\(Self.hostInURL(host)):\(port)"
    }

    static func hostInURL(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}

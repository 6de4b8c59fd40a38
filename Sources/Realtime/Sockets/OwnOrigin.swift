import Foundation

/// Whether a request's `Origin` is this server's own: same scheme's host and port as the `Host`
/// it was sent to. Pages of the server itself (the chat page, the workspace) pass; a page on
/// another port of the same host is another origin, and does not.
public enum OwnOrigin {
    public static func matches(origin: String?, host: String?) -> Bool {
        guard let origin, let host, let url = URL(string: origin), let scheme = url.scheme?.lowercased(),
              let originHost = url.host(percentEncoded: false) else { return false }
        let defaultPort = scheme == "https" ? 443 : 80
        guard let (hostName, hostPort) = split(host) else { return false }
        return normalized(originHost) == hostName && (url.port ?? defaultPort) == (hostPort ?? defaultPort)
    }

    /// `example.com:8080`, `example.com`, `[::1]:8080` → lower-cased name (no brackets) and port.
    static func split(_ host: String) -> (String, Int?)? {
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let name = String(host[host.index(after: host.startIndex)..<close])
            let rest = host[host.index(after: close)...]
            if rest.isEmpty { return (normalized(name), nil) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            return (normalized(name), port)
        }
        let parts = host.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (normalized(String(parts[0])), nil)
        case 2:
            guard let port = Int(parts[1]) else { return nil }
            return (normalized(String(parts[0])), port)
        default: return nil
        }
    }

    static func normalized(_ name: String) -> String {
        name.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    }
}

import Foundation

/// A URL's query as a form encodes it (`application/x-www-form-urlencoded`: `+` is a space,
/// the rest percent-encoded), read one way by the HTTP routes and the socket upgrades alike.
public struct FormQuery: Sendable {
    private let pairs: [(name: String, value: String)]

    /// `query`: what follows the `?`, without it.
    public init(_ query: Substring) {
        pairs = query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { return nil }
            return (name, parts.count == 2 ? Self.decode(parts[1]) ?? String(parts[1]) : "")
        }
    }

    /// The query of `uri` (a request target like `/ws/agent?presence=away`); empty without one.
    public init(uri: String) {
        self.init(uri.firstIndex(of: "?").map { uri[uri.index(after: $0)...] } ?? "")
    }

    /// The first value given for `name`; nil when it is absent.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

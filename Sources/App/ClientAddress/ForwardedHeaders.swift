import Foundation

/// Reads what proxies say about a request's path: `Forwarded` (RFC 7239), `X-Forwarded-For`
/// and `X-Forwarded-Proto`. Only parsing: whether to believe it is `ClientAddressResolver`'s call.
enum ForwardedHeaders {
    /// The request headers this reads.
    enum Name: String, CaseIterable {
        case forwarded = "Forwarded"
        case forwardedFor = "X-Forwarded-For"
        case forwardedProto = "X-Forwarded-Proto"
    }

    /// One hop as a proxy reported it: the node it received the request from (`for`), and
    /// the scheme that request used (`proto`), when given.
    struct Hop: Equatable {
        var node: String
        var proto: String?
    }

    /// The hops of every `Forwarded` header line, in order (the client first, the nearest proxy's
    /// report last). Elements without `for` are skipped.
    static func forwarded(_ lines: [String]) -> [Hop] {
        var hops: [Hop] = []
        for line in lines {
            for element in split(line, on: ",") {
                var node: String?
                var proto: String?
                for pair in split(element, on: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    let name = parts[0].trimmingWhitespace().lowercased()
                    let value = unquoted(parts[1].trimmingWhitespace())
                    switch name {
                    case "for": node = value
                    case "proto": proto = value.lowercased()
                    default: break
                    }
                }
                if let node { hops.append(Hop(node: node, proto: proto)) }
            }
        }
        return hops
    }

    /// The entries of every `X-Forwarded-For` line, in order (the client first).
    static func forwardedFor(_ lines: [String]) -> [Hop] {
        lines.flatMap { $0.split(separator: ",") }.map { Hop(node: $0.trimmingWhitespace()) }.filter { !$0.node.isEmpty }
    }

    /// The schemes of every `X-Forwarded-Proto` line, lower-cased, in order.
    static func forwardedProto(_ lines: [String]) -> [String] {
        lines.flatMap { $0.split(separator: ",") }.map { $0.trimmingWhitespace().lowercased() }.filter { !$0.isEmpty }
    }

    /// The address of a node as proxies write it: `203.0.113.7`, `203.0.113.7:4711`,
    /// `2001:db8::17`, `[2001:db8::17]:4711`. Nil for `unknown`, obfuscated names (`_hidden`)
    /// and anything else that is not an address.
    static func address(ofNode node: String) -> IPAddress? {
        if node.hasPrefix("[") {
            guard let close = node.firstIndex(of: "]") else { return nil }
            return IPAddress(node[node.index(after: node.startIndex)..<close])
        }
        if let address = IPAddress(node) { return address }
        // IPv4 with a port: exactly one colon.
        let parts = node.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].allSatisfy(\.isNumber) else { return nil }
        return IPAddress(parts[0])
    }

    /// Splits on `separator` outside double-quoted strings.
    static func split(_ text: some StringProtocol, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == separator && !quoted {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    /// A token as is; a quoted string without its quotes and escapes.
    static func unquoted(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        var result = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
            if !escaped && character == "\\" {
                escaped = true
                continue
            }
            escaped = false
            result.append(character)
        }
        return result
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        trimmingCharacters(in: .whitespaces)
    }
}

import Foundation
import Glibc

/// Addresses no tenant may point the bot (or its embeddings) at: link-local networks, where
/// clouds serve instance metadata and the node's credentials, and the metadata endpoints that
/// live elsewhere. A tenant's administrator is not the node's operator; a provider URL must not
/// turn the node into their proxy for those. Loopback and private networks stay allowed: a
/// self-hosted model (Ollama, vLLM) on the same host or network is the usual case.
///
/// Checked on the URL as written (a literal address or a known metadata name). A name that
/// resolves into these networks is not caught here.
enum ProviderAddressPolicy {
    static let metadataNames: Set<String> = ["metadata.google.internal", "metadata.goog", "metadata"]

    /// Whether `host` (a URL's host, IPv6 with or without brackets) is refused.
    static func refuses(host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
        if metadataNames.contains(host) { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return refuses(ipv4: UInt32(bigEndian: v4.s_addr)) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        // fe80::/10, link-local.
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return true }
        // fd00:ec2::254, the instance metadata service over IPv6.
        if bytes == [0xfd, 0, 0x0e, 0xc2] + Array(repeating: 0, count: 10) + [0x02, 0x54] { return true }
        // An IPv4 address written as IPv6 (::ffff:a.b.c.d).
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return refuses(ipv4: bytes[12..<16].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        return false
    }

    /// 169.254.0.0/16 (link-local, 169.254.169.254 among them), 100.100.100.200 (Alibaba
    /// Cloud's metadata) and 0.0.0.0/8 ("this host", which reaches loopback services unasked).
    private static func refuses(ipv4 address: UInt32) -> Bool {
        address >> 16 == 0xA9FE || address == 0x6464_64C8 || address >> 24 == 0
    }
}

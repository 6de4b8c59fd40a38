import NIOCore

/// An IPv4 or IPv6 address as its bytes, for matching against trusted proxy ranges.
///
/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a dual-stack socket reports for an IPv4
/// peer) is the IPv4 address it maps, so one range and one rate-limit key cover both forms.
struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), in network order.
    let bytes: [UInt8]

    /// Parses the textual form (`203.0.113.7`, `2001:db8::17`); nil for anything else, host
    /// names included: a forwarded address is never resolved.
    init?(_ text: some StringProtocol) {
        guard (2...64).contains(text.utf8.count), text.contains(where: { $0 == "." || $0 == ":" }),
              let address = try? SocketAddress(ipAddress: String(text), port: 0)
        else { return nil }
        self.init(address)
    }

    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            bytes = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            let raw = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            bytes = Self.isIPv4Mapped(raw) ? Array(raw.suffix(4)) : raw
        case .unixDomainSocket:
            return nil
        }
    }

    init(bytes: [UInt8]) {
        precondition(bytes.count == 4 || bytes.count == 16)
        self.bytes = Self.isIPv4Mapped(bytes) ? Array(bytes.suffix(4)) : bytes
    }

    var isIPv4: Bool { bytes.count == 4 }

    /// The canonical text (`inet_ntop`'s), used as the client's address everywhere.
    var description: String {
        let packed = try? SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: 0)
        return packed?.ipAddress ?? bytes.map(String.init).joined(separator: ".")
    }

    /// What per-client limits count by: an IPv4 address, or an IPv6 address's /64 — one
    /// subscriber's network, inside which a client can pick a new address for every request.
    static func rateLimitKey(_ ip: String) -> String {
        guard ip.contains(":"), let address = IPAddress(ip) else { return ip }
        if address.isIPv4 { return address.description }
        return IPAddress(bytes: Array(address.bytes.prefix(8)) + Array(repeating: 0, count: 8)).description + "/64"
    }

    static func isIPv4Mapped(_ raw: [UInt8]) -> Bool {
        raw.count == 16 && raw.prefix(10).allSatisfy { $0 == 0 } && raw[10] == 0xFF && raw[11] == 0xFF
    }
}

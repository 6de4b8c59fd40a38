import Foundation

/// The proxies and load balancers whose forwarding headers Kefu believes
/// (`KEFU_TRUSTED_PROXIES`): IPv4/IPv6 addresses and CIDR ranges. Empty by default, so that
/// nobody can choose their own address by sending `X-Forwarded-For`.
struct TrustedProxies: Sendable, Equatable {
    /// One address range: the first `prefixLength` bits of `network`.
    struct Range: Sendable, Equatable {
        let network: IPAddress
        let prefixLength: Int

        /// `10.0.0.0/8`, `2001:db8::/32`, or a bare address (the whole address). An IPv4-mapped
        /// IPv6 range (`::ffff:10.0.0.0/104`) is the IPv4 range it maps.
        init?(_ text: some StringProtocol) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = IPAddress(parts[0]) else { return nil }
            let writtenAsIPv6 = parts[0].contains(":")
            let written = writtenAsIPv6 ? 128 : 32
            var length = written
            if parts.count == 2 {
                guard parts[1].allSatisfy(\.isASCII), let given = Int(parts[1]), (0...written).contains(given) else { return nil }
                length = given
            }
            if address.isIPv4 && writtenAsIPv6 {
                // Written as IPv6 but mapping IPv4: only the IPv4 part may vary.
                guard length >= 96 else { return nil }
                length -= 96
            }
            prefixLength = length
            network = IPAddress(bytes: Self.masked(address.bytes, length))
        }

        func contains(_ address: IPAddress) -> Bool {
            address.bytes.count == network.bytes.count && Self.masked(address.bytes, prefixLength) == network.bytes
        }

        static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
            bytes.enumerated().map { index, byte in
                let bits = min(max(length - index * 8, 0), 8)
                return bits == 8 ? byte : byte & ~(UInt8(0xFF) >> bits)
            }
        }
    }

    /// An entry of `KEFU_TRUSTED_PROXIES` that is neither an address nor a CIDR range.
    struct InvalidEntry: Error, Equatable {
        let entry: String
    }

    let ranges: [Range]

    static let none = TrustedProxies(ranges: [])

    init(ranges: [Range]) {
        self.ranges = ranges
    }

    /// Parses a comma-separated list (`10.0.0.0/8, 127.0.0.1`); blank entries are skipped.
    init(parsing text: String) throws(InvalidEntry) {
        var ranges: [Range] = []
        for entry in text.split(separator: ",") {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let range = Range(trimmed) else { throw InvalidEntry(entry: trimmed) }
            ranges.append(range)
        }
        self.ranges = ranges
    }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }
}

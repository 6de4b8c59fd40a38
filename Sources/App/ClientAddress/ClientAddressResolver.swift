import NIOCore

/// Who sent a request and how: the client's address and whether it came over HTTPS.
struct ClientAddress: Sendable, Equatable {
    /// The one address that rate limits, login throttling, the audit log and visitor records
    /// use (never a metric label).
    var ip: String
    var isHTTPS: Bool
}

/// Decides a request's client address. A request from a trusted proxy is taken at its word:
/// the address comes from `Forwarded` (preferred) or `X-Forwarded-For` — the rightmost hop that
/// is not itself a trusted proxy — and the scheme from the same `Forwarded` element or
/// `X-Forwarded-Proto`. Any other request is its TCP peer, whatever headers it carries.
struct ClientAddressResolver: Sendable {
    let trustedProxies: TrustedProxies
    /// Kefu itself serves TLS: every request on the port arrived over HTTPS.
    let directTLS: Bool

    /// Resolves the client of a request from `peer`; `headers` gives a forwarding header's
    /// lines (read only when the peer is trusted).
    func resolve(peer: SocketAddress?, headers: (ForwardedHeaders.Name) -> [String]) -> ClientAddress {
        guard let peerAddress = peer.flatMap(IPAddress.init) else {
            return ClientAddress(ip: peer?.ipAddress ?? "unknown", isHTTPS: directTLS)
        }
        guard trustedProxies.contains(peerAddress) else {
            return ClientAddress(ip: peerAddress.description, isHTTPS: directTLS)
        }
        var hops = ForwardedHeaders.forwarded(headers(.forwarded))
        let fromForwarded = !hops.isEmpty
        if !fromForwarded { hops = ForwardedHeaders.forwardedFor(headers(.forwardedFor)) }

        // Walk from the nearest hop outwards while the hops are trusted proxies. An entry that
        // is not an address ends the walk: the nearest address known stands for the client.
        var client = peerAddress
        var clientHop: Int?
        for index in hops.indices.reversed() {
            guard let address = ForwardedHeaders.address(ofNode: hops[index].node) else { break }
            client = address
            clientHop = index
            if !trustedProxies.contains(address) { break }
        }

        var proto = clientHop.flatMap { hops[$0].proto }
        if proto == nil {
            let schemes = ForwardedHeaders.forwardedProto(headers(.forwardedProto))
            // One scheme per hop when the proxies append to both lists; else the first one,
            // set by the proxy that saw the client.
            if !fromForwarded, let clientHop, schemes.count == hops.count {
                proto = schemes[clientHop]
            } else {
                proto = schemes.first
            }
        }
        return ClientAddress(ip: client.description, isHTTPS: directTLS || proto == "https")
    }
}

extension Configuration {
    /// How this node tells its clients' addresses (`KEFU_TRUSTED_PROXIES`, TLS).
    var clientAddresses: ClientAddressResolver {
        ClientAddressResolver(trustedProxies: trustedProxies, directTLS: tls != nil)
    }
}

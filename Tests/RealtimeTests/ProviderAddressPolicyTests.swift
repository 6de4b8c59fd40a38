import Testing
@testable import Realtime

/// A provider URL cannot point the node at cloud metadata or link-local addresses, however the
/// address is written; loopback and private networks (a self-hosted model) stay allowed.
@Suite struct ProviderAddressPolicyTests {
    @Test(arguments: ["169.254.169.254", "169.254.0.1", "[fe80::1]", "fe80::abcd", "[fd00:ec2::254]", "100.100.100.200",
                      "::ffff:169.254.169.254", "[::ffff:a9fe:a9fe]", "0.0.0.0", "metadata.google.internal", "METADATA.google.internal."])
    func refused(host: String) {
        #expect(ProviderAddressPolicy.refuses(host: host), "\(host)")
    }

    @Test(arguments: ["127.0.0.1", "localhost", "[::1]", "10.0.0.5", "192.168.1.20", "172.16.0.9", "api.openai.com",
                      "api.deepseek.com", "[2001:db8::1]", "100.100.100.201", "169.253.255.255"])
    func allowed(host: String) {
        #expect(!ProviderAddressPolicy.refuses(host: host), "\(host)")
    }
}

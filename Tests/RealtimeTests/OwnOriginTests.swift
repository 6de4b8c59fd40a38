import Testing
@testable import Realtime

/// A page is the server's own when its origin names the host and port the request was sent to.
@Suite struct OwnOriginTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080", "127.0.0.1:8080", true),
        ("http://LOCALHOST:8080", "localhost:8080", true),
        ("https://kefu.example", "kefu.example", true),
        ("https://kefu.example", "kefu.example:443", true),
        ("http://kefu.example", "kefu.example:80", true),
        ("http://[::1]:8080", "[::1]:8080", true),
        ("http://127.0.0.1:9999", "127.0.0.1:8080", false),
        ("http://kefu.example", "kefu.example:8080", false),
        ("https://kefu.example.evil", "kefu.example", false),
        ("null", "kefu.example", false),
        ("http://[::1]:8080", "[::1]:8081", false),
        ("http://a:b", "a:b", false),
    ])
    func matchesOnlyTheSameHostAndPort(origin: String, host: String, own: Bool) {
        #expect(OwnOrigin.matches(origin: origin, host: host) == own)
    }

    @Test func nothingIsOwnWithoutAnOriginOrAHost() {
        #expect(!OwnOrigin.matches(origin: nil, host: "a"))
        #expect(!OwnOrigin.matches(origin: "http://a", host: nil))
    }
}

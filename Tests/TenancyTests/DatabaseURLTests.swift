import Testing
@testable import Tenancy

@Suite struct DatabaseURLTests {
    @Test func parsesHostPortCredentialsAndTLS() throws {
        let endpoint = try DatabaseEndpoint(url: "postgres://app%40corp:p%2Fss@db.example.com:6543/kefu?sslmode=verify-full")
        #expect(endpoint.location == .tcp(host: "db.example.com", port: 6543))
        #expect(endpoint.username == "app@corp")
        #expect(endpoint.password == "p/ss")
        #expect(endpoint.database == "kefu")
        #expect(endpoint.tlsMode == .verifyFull)
    }

    @Test func defaultsFollowLibpq() throws {
        let endpoint = try DatabaseEndpoint(url: "postgresql://kefu@localhost/kefu")
        #expect(endpoint.location == .tcp(host: "localhost", port: 5432))
        #expect(endpoint.tlsMode == .prefer)
        #expect(endpoint.password == nil)
    }

    @Test func acceptsASocketDirectory() throws {
        let endpoint = try DatabaseEndpoint(url: "postgres://kefu@/kefu?host=/var/run/postgresql")
        #expect(endpoint.location == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(endpoint.tlsMode == .disable)
    }

    @Test(arguments: [
        ("mysql://x@y/z", "expected postgres://"),
        ("postgres://x:secret@y/z?sslmode=sometimes", "sslmode 'sometimes'"),
        ("postgres://x:secret@y/z?sslrootcert=/nonexistent/ca.pem", "cannot be read"),
        ("postgres://x:secret@y/z?pool=3", "unsupported parameter 'pool'"),
    ])
    func refusesWhatItCannotUseWithoutLeakingThePassword(url: String, expected: String) {
        do {
            _ = try DatabaseEndpoint(url: url)
            Issue.record("accepted \(url)")
        } catch {
            let message = String(describing: error)
            #expect(message.contains(expected))
            #expect(!message.contains("secret"))
        }
    }

    @Test func redactedDescriptionHasNoPassword() throws {
        let endpoint = try DatabaseEndpoint(url: "postgres://kefu:hunter2@db:5432/kefu")
        #expect(endpoint.redactedDescription == "postgres://kefu@db:5432/kefu")
    }
}

import Foundation
import Testing
import TestSupport

/// The agent socket signs a browser in by either session cookie name.
@Suite(.serialized) struct AgentSocketCookieLiveTests {
    @Test func theAgentSocketAcceptsTheHostPrefixedAndThePlainSessionCookie() async throws {
        try await RealtimeHarness.with { harness in
            let token = try await harness.token(email: "agent@acme.example")
            let port = harness.nodes[0].port
            for name in ["__Host-kefu_session", "kefu_session"] {
                let socket = try await WebSocketTestClient.connect(
                    port: port, path: "/ws/agent", headers: [("Origin", "http://127.0.0.1:\(port)"), ("Cookie", "\(name)=\(token)")])
                let welcome = try await socket.next("welcome")
                #expect(welcome["userId"] is String, "\(name)")
                await socket.close()
            }
        }
    }
}

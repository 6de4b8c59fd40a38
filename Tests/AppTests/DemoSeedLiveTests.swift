import Foundation
import Testing
import TestSupport

/// `kefu serve` on an empty database seeds the demo tenant and a widget that pages on the
/// server's own address may use, and prints how to sign in and the widget's key.
@Suite struct DemoSeedLiveTests {
    @Test func theDemoTenantComesWithAWidgetForTheServersOwnOrigin() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            let node = try KefuProcess(["serve"], environment: ["DATABASE_URL": try KefuProcess.databaseURL(endpoint.database)])
            try await node.waitUntilReady()
            let port = node.port
            let output = node.output
            #expect(output.contains("Kefu demo tenant created"))
            let key = try #require(output.split(separator: "\n").first { $0.contains("Demo widget key: kfw_") }?
                .split(separator: " ").first { $0.hasPrefix("kfw_") }.map(String.init))

            // A visitor on a page of this server is welcomed and can write.
            let visitor = try await WebSocketTestClient.connect(
                port: port, path: "/ws/visitor?key=\(key)", headers: [("Origin", "http://localhost:\(port)")])
            try await visitor.send(["type": "hello", "v": 1])
            let welcome = try await visitor.next("welcome")
            #expect((welcome["widget"] as? [String: Any])?["greeting"] as? String == "Hi! How can we help?")
            try await visitor.send(["type": "send", "clientId": "c1", "text": "你好"])
            #expect(try await visitor.next("ack")["seq"] as? Int == 1)
            // Another site is refused.
            await #expect(throws: (any Error).self) {
                _ = try await WebSocketTestClient.connect(port: port, path: "/ws/visitor?key=\(key)", headers: [("Origin", "https://elsewhere.example")])
            }
            // Every start names the workspace and the demo page, which embeds this widget.
            #expect(output.contains("Agent workspace: http://127.0.0.1:\(port)/app/"))
            #expect(output.contains("(from another origin: http://localhost:\(port)/demo)"))
            let demo = try await RealtimeHarness.request(node, .get, "/demo")
            #expect(demo.status == .ok)
            #expect(demo.text.contains("data-key=\"\(key)\""))
            #expect(!demo.text.contains("{{WIDGET_KEY}}") && !demo.text.contains("{{WIDGET_ORIGIN}}"))
            #expect(demo.text.contains("src=\"/widget.js\""), "the page's own origin unless opened as localhost")
            node.signal(SIGTERM)
            #expect(try await node.waitForExit(timeout: .seconds(30)) == 0)

            // Every later start names the workspace and the demo page again, and only those.
            let again = try KefuProcess(["serve"], environment: ["DATABASE_URL": try KefuProcess.databaseURL(endpoint.database)])
            try await again.waitUntilReady()
            let later = again.output
            #expect(later.contains("Agent workspace: http://127.0.0.1:\(again.port)/app/"))
            #expect(later.contains("(from another origin: http://localhost:\(again.port)/demo)"))
            #expect(!later.contains("Kefu demo tenant created") && !later.contains("password:"), "the password is shown once")
            again.signal(SIGTERM)
            #expect(try await again.waitForExit(timeout: .seconds(30)) == 0)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

/// Abuse limits on `/ws/visitor` and `/ws/agent`, against a live `kefu serve`.
@Suite(.serialized) struct RealtimeAbuseLimitTests {
    /// A WebSocket upgrade request made as plain HTTP, so a refusal's status and headers can be read.
    static func upgradeAttempt(_ harness: RealtimeHarness, _ path: String, headers extra: [(String, String)] = []) async throws -> (RealtimeHarness.Reply, HTTPFields) {
        let fields = HTTPFieldsBuilder([("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                                        ("Sec-WebSocket-Version", "13"), ("Origin", RealtimeHarness.origin)] + extra).fields
        let request = TestClient.Request(path, method: .get, headers: fields)
        let response = try await TestClient.withClient(host: "127.0.0.1", port: harness.nodes[0].port) { try await $0.execute(request) }
        let text = response.body.map { String(buffer: $0) } ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
        return (RealtimeHarness.Reply(status: response.status, json: json, text: text), response.headers)
    }

    @Test func aBurstOfUpgradesFromOneAddressIsRefusedWith429BeforeAnyDatabaseWork() async throws {
        try await RealtimeHarness.with(environment: ["KEFU_WS_UPGRADE_RATE_LIMIT": "5"]) { harness in
            var sockets: [WebSocketTestClient] = []
            for _ in 0..<5 { sockets.append(try await harness.visitor()) }

            // The sixth, even with a key that names no widget (whose lookup would answer 404) and
            // a forwarded address this untrusted peer made up, is refused by the limit.
            let (refused, headers) = try await Self.upgradeAttempt(harness, "/ws/visitor?key=kfw_nothing", headers: [("X-Forwarded-For", "198.51.100.9")])
            #expect(refused.status.code == 429)
            #expect(headers[.contentType] == "application/problem+json")
            #expect(refused.json["code"] as? String == "rate-limited")
            #expect(refused.json["status"] as? Int == 429)
            #expect((Int(headers[.retryAfter] ?? "") ?? 0) >= 1)
            // Rendered like every HTTP error (see RefusedUpgradeProblemTests): path and request id.
            #expect(refused.json["instance"] as? String == "/ws/visitor")
            #expect(refused.json["requestId"] as? String == headers[HTTPField.Name("X-Request-Id")!])
            let (agent, _) = try await Self.upgradeAttempt(harness, "/ws/agent", headers: [("Forwarded", "for=198.51.100.10")])
            #expect(agent.status.code == 429)
            // The sockets already open are untouched; plain HTTP is not limited by it.
            try await sockets[0].send(["type": "hello"])
            _ = try await sockets[0].next("welcome")
            #expect(try await harness.nodes[0].get("/healthz").status.code == 200)
            for socket in sockets { await socket.close() }
        }
    }

    @Test func anonymousHellosAddNoVisitorRowsUntilTheVisitorSends() async throws {
        try await RealtimeHarness.with(environment: ["KEFU_WS_UPGRADE_RATE_LIMIT": "0", "KEFU_TRUSTED_PROXIES": "127.0.0.1"]) { harness in
            let total = 10_000
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                // scripts/test runs this test on its own, after the rest of the suite: the flood
                // starved the other live tests' sockets.
                for worker in 0..<16 {
                    group.addTask {
                        for index in stride(from: worker, to: total, by: 16) {
                            let socket = try await harness.visitor()
                            // Every tenth one brings a token that names nobody: no row either.
                            var hello: [String: any Sendable] = ["type": "hello", "v": 1, "page": ["url": "https://shop.example/\(index)"], "language": "en"]
                            if index % 10 == 0 { hello["token"] = "kfv_forged-\(index)" }
                            try await socket.send(hello)
                            let welcome = try await socket.next("welcome")
                            #expect(welcome["token"] == nil && welcome["visitorId"] is String && welcome["conversation"] == nil)
                            await socket.close()
                        }
                    }
                }
                try await group.waitForAll()
            }
            print("\(total) anonymous hellos in \(ContinuousClock.now - started)")
            #expect(try await harness.sql("SELECT count(*)::text FROM visitors") == [["0"]])

            // The first send writes the row, with the hello's page, referrer and language and the
            // forwarded address, and hands over the token before the ack.
            let socket = try await WebSocketTestClient.connect(
                port: harness.nodes[0].port, path: "/ws/visitor?key=\(harness.acmeWidgetKey)",
                headers: [("Origin", RealtimeHarness.origin), ("X-Forwarded-For", "203.0.113.7"), ("User-Agent", "abuse-test")])
            try await socket.send(["type": "hello", "page": ["url": "https://shop.example/cart", "referrer": "https://search.example/"],
                                   "language": "zh-CN"])
            let welcome = try await socket.next("welcome")
            let visitorID = try #require(welcome["visitorId"] as? String)
            try await socket.send(["type": "history", "ref": "h"])
            #expect((try await socket.next("history")["messages"] as? [Any])?.isEmpty == true)
            #expect(try await harness.sql("SELECT count(*)::text FROM visitors") == [["0"]])

            try await socket.send(["type": "send", "clientId": "first", "text": "hello?", "ref": "s1"])
            var sawVisitorFrame = false
            var token: String?
            while true {
                let frame = try #require(try await socket.next(), "closed before the ack")
                if frame["type"] as? String == "visitor" {
                    #expect(frame["visitorId"] as? String == visitorID)
                    token = frame["token"] as? String
                    sawVisitorFrame = true
                }
                if frame["type"] as? String == "ack" {
                    #expect(sawVisitorFrame, "the token comes before the ack")
                    break
                }
            }
            let issued = try #require(token)
            #expect(issued.hasPrefix("kfv_"))
            let rows = try await harness.sql("SELECT id::text, page_url, referrer, language, ip, user_agent FROM visitors")
            #expect(rows == [[visitorID.lowercased(), "https://shop.example/cart", "https://search.example/", "zh-CN", "203.0.113.7", "abuse-test"]])
            await socket.close()

            // The token brings the visitor back to their conversation.
            let (again, rewelcome) = try await harness.visitorHello(["token": issued])
            #expect(rewelcome["visitorId"] as? String == visitorID)
            #expect(rewelcome["token"] == nil)
            #expect(rewelcome["conversation"] != nil)
            await again.close()
        }
    }
}

import Foundation
import NIOCore
import NIOWebSocket
import HTTPTypes
import Testing
import TestSupport

/// The realtime hub end to end: real `kefu serve` processes, real WebSockets, one PostgreSQL.
@Suite(.serialized) struct RealtimeLiveTests {
    @Test func aVisitorAndAnAgentChatWithAcksAfterCommitAndNotesKeptFromTheVisitor() async throws {
        try await RealtimeHarness.with { harness in
            let agentToken = try await harness.token(email: "agent@acme.example")
            let (agent, welcome) = try await harness.agent(token: agentToken)
            #expect((welcome["conversations"] as? [Any])?.isEmpty == true)

            let (visitor, visitorWelcome) = try await harness.visitorHello([
                "profile": ["name": "李雷", "email": "li@example.com", "attributes": ["plan": "pro"]] as [String: any Sendable],
                "page": ["url": "https://shop.example/cart", "referrer": "https://search.example/"], "language": "zh-CN",
            ])
            let token = try #require(visitorWelcome["token"] as? String)
            #expect(token.hasPrefix("kfv_"))
            try await visitor.send(["type": "send", "clientId": "v-1", "text": "你好，在吗？", "ref": "r1"])
            let ack = try await visitor.next("ack")
            #expect(ack["ref"] as? String == "r1")
            #expect(ack["duplicate"] as? Bool == false)
            let seq = try #require(ack["seq"] as? Int)
            let conversationID = try #require(ack["conversationId"] as? String)
            // The ack came after the commit: the row is there.
            let stored = try await harness.sql("SELECT body FROM messages WHERE seq = \(seq) AND conversation_id = '\(conversationID)'")
            #expect(stored == [["你好，在吗？"]])

            // The only online agent got the conversation and the message.
            let assigned = try await agent.next("conversation")
            #expect((assigned["conversation"] as? [String: Any])?["id"] as? String == conversationID)
            let delivered = try await agent.nextMessage(from: "visitor")
            #expect(delivered["text"] as? String == "你好，在吗？")

            try await agent.send(["type": "send", "conversationId": conversationID, "clientId": "a-note", "text": "VIP customer", "note": true])
            _ = try await agent.next("ack")
            try await agent.send(["type": "send", "conversationId": conversationID, "clientId": "a-1", "text": "您好！请问有什么可以帮您？"])
            _ = try await agent.next("ack")
            let reply = try await visitor.nextMessage(from: "agent")
            #expect(reply["text"] as? String == "您好！请问有什么可以帮您？")

            // The visitor's history holds no note either.
            try await visitor.send(["type": "history", "ref": "h"])
            let history = try await visitor.next("history")
            let texts = (history["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            #expect(texts.contains("你好，在吗？") && texts.contains("您好！请问有什么可以帮您？"))
            #expect(!texts.contains("VIP customer"))

            let profile = try await harness.sql("SELECT name, email, page_url, language, attributes->>'plan' FROM visitors")
            #expect(profile == [["李雷", "li@example.com", "https://shop.example/cart", "zh-CN", "pro"]])
            await visitor.close()
            await agent.close()
        }
    }

    @Test func aReconnectingVisitorGetsEveryMissedMessageInOrder() async throws {
        try await RealtimeHarness.with { harness in
            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "first", "text": "hello"])
            let token = try #require(try await visitor.next("visitor")["token"] as? String)
            let ack = try await visitor.next("ack")
            let conversationID = try #require(ack["conversationId"] as? String)
            let lastSeen = try #require(ack["seq"] as? Int)
            _ = try await agent.next("message")
            await visitor.abort()

            for index in 1...20 {
                try await agent.send(["type": "send", "conversationId": conversationID, "clientId": "a-\(index)", "text": "reply \(index)"])
                _ = try await agent.next("ack")
            }
            let (again, rewelcome) = try await harness.visitorHello(["token": token, "lastSeq": lastSeen])
            #expect(rewelcome["token"] == nil, "a known token is never echoed back")
            #expect((rewelcome["conversation"] as? [String: Any])?["id"] as? String == conversationID)
            var seqs: [Int] = []
            var texts: [String] = []
            while texts.count < 20 {
                let frame = try await again.next("message")
                let message = try #require(frame["message"] as? [String: Any])
                seqs.append(try #require(message["seq"] as? Int))
                if message["kind"] as? String == "text" { texts.append(message["text"] as? String ?? "") }
            }
            #expect(texts == (1...20).map { "reply \($0)" })
            #expect(seqs == Array((lastSeen + 1)...(seqs.last ?? 0)), "contiguous seqs, in order")
        }
    }

    @Test func aRetriedSendIsStoredOnce() async throws {
        try await RealtimeHarness.with { harness in
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "same", "text": "once"])
            try await visitor.send(["type": "send", "clientId": "same", "text": "once"])
            let first = try await visitor.next("ack")
            let second = try await visitor.next("ack")
            #expect(first["seq"] as? Int == second["seq"] as? Int)
            #expect(Set([first["duplicate"] as? Bool, second["duplicate"] as? Bool]) == [false, true])
            let count = try await harness.sql("SELECT count(*)::text FROM messages WHERE kind = 'text'")
            #expect(count == [["1"]])
        }
    }

    @Test func aSendCutOffByKillNineIsStoredExactlyOnceWhenRetried() async throws {
        try await RealtimeHarness.with { harness in
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "warm-up", "text": "first"])
            let token = try #require(try await visitor.next("visitor")["token"] as? String)
            _ = try await visitor.next("ack")
            // Send, and kill the server before (or while) the ack travels.
            try await visitor.send(["type": "send", "clientId": "in-flight", "text": "did this arrive?"])
            harness.nodes[0].signal(SIGKILL)
            _ = try await harness.nodes[0].waitForExit(timeout: .seconds(10))

            let restarted = try await RealtimeHarness.start(harness.endpoint)
            try await restarted.waitUntilReady()
            let socket = try await WebSocketTestClient.connect(
                port: restarted.port, path: "/ws/visitor?key=\(harness.acmeWidgetKey)", headers: [("Origin", RealtimeHarness.origin)])
            try await socket.send(["type": "hello", "token": token])
            _ = try await socket.next("welcome")
            try await socket.send(["type": "send", "clientId": "in-flight", "text": "did this arrive?"])
            let ack = try await socket.next("ack")
            #expect(ack["clientId"] as? String == "in-flight")
            let count = try await harness.sql("SELECT count(*)::text FROM messages WHERE body = 'did this arrive?'")
            #expect(count == [["1"]])
            restarted.signal(SIGTERM)
            _ = try await restarted.waitForExit(timeout: .seconds(20))
        }
    }

    @Test func aVisitorOnOneNodeAndAnAgentOnAnotherHearEachOther() async throws {
        try await RealtimeHarness.with(nodes: 2) { harness in
            let (agent, _) = try await harness.agent(node: 1, token: try await harness.token(email: "agent@acme.example"))
            let (visitor, _) = try await harness.visitorHello(node: 0)
            try await visitor.send(["type": "send", "clientId": "x-1", "text": "from node 0"])
            let ack = try await visitor.next("ack")
            let conversationID = try #require(ack["conversationId"] as? String)
            let delivered = try await agent.nextMessage(from: "visitor")
            #expect(delivered["text"] as? String == "from node 0")
            try await agent.send(["type": "send", "conversationId": conversationID, "clientId": "x-2", "text": "from node 1"])
            let reply = try await visitor.nextMessage(from: "agent")
            #expect(reply["text"] as? String == "from node 1")
        }
    }

    @Test func anAgentArrivingOnAnotherNodeTakesTheQueueWithWhatWasSaid() async throws {
        try await RealtimeHarness.with(nodes: 2) { harness in
            let (visitor, _) = try await harness.visitorHello(node: 0)
            try await visitor.send(["type": "send", "clientId": "early", "text": "is anyone there?"])
            _ = try await visitor.next("ack")
            let (agent, _) = try await harness.agent(node: 1, token: try await harness.token(email: "agent@acme.example"))
            let early = try await agent.nextMessage(from: "visitor")
            #expect(early["text"] as? String == "is anyone there?")
            try await visitor.send(["type": "send", "clientId": "later", "text": "hello?"])
            #expect(try await agent.nextMessage(from: "visitor")["text"] as? String == "hello?")

            // Closing the agent's only socket takes them offline at once.
            await agent.close()
            var status: [[String?]] = []
            for _ in 0..<50 {
                status = try await harness.sql("SELECT status FROM agent_presence")
                if status == [["offline"]] { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(status == [["offline"]])
        }
    }

    @Test func tenantsNeverSeeEachOthersConversations() async throws {
        try await RealtimeHarness.with { harness in
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "s-1", "text": "acme secret"])
            let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String)

            // Globex's owner guesses (knows) the id: it does not exist for them.
            let (intruder, _) = try await harness.agent(token: try await harness.token(tenant: "globex", email: "boss@globex.example"))
            for type in ["subscribe", "history"] {
                try await intruder.send(["type": type, "conversationId": conversationID, "ref": type])
                let refused = try await intruder.next("error")
                #expect(refused["code"] as? String == "conversation-not-found")
            }
            try await intruder.send(["type": "send", "conversationId": conversationID, "clientId": "evil", "text": "hi"])
            #expect(try await intruder.next("error")["code"] as? String == "conversation-not-found")

            // A forged visitor token is just a new visitor, who sees nothing.
            let (stranger, welcome) = try await harness.visitorHello(["token": "kfv_forged-token-that-matches-nothing"])
            #expect(welcome["conversation"] == nil)
            try await stranger.send(["type": "history", "ref": "h"])
            #expect((try await stranger.next("history")["messages"] as? [Any])?.isEmpty == true)

            // Another tenant's widget on a page of this site: refused unless allowed.
            let other = try await WebSocketTestClient.connect(
                port: harness.nodes[0].port, path: "/ws/visitor?key=\(harness.globexWidgetKey)", headers: [("Origin", RealtimeHarness.origin)])
            try await other.send(["type": "hello"])
            #expect(try await other.next("welcome")["conversation"] == nil)
            // The intruder's write landed nowhere: not in globex, not in acme's conversation. (The
            // harness connects as a superuser, whom row-level security lets see every tenant.)
            let globexCount = try await harness.sql("SELECT count(*)::text FROM messages WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'globex')")
            #expect(globexCount == [["0"]])
            #expect(try await harness.sql("SELECT body FROM messages WHERE kind = 'text'") == [["acme secret"]])
        }
    }

    @Test func wrongOriginsAndUnknownKeysAreRefusedWithAProblem() async throws {
        try await RealtimeHarness.with { harness in
            let upgrade: [(String, String)] = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                               ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]
            func attempt(_ path: String, origin: String?, extra: [(String, String)] = []) async throws -> RealtimeHarness.Reply {
                var headers = HTTPFieldsBuilder(upgrade + extra)
                if let origin { headers.add("Origin", origin) }
                return try await RealtimeHarness.request(harness.nodes[0], .get, path, token: nil, headers: headers.fields)
            }
            let wrongOrigin = try await attempt("/ws/visitor?key=\(harness.acmeWidgetKey)", origin: "https://evil.example")
            #expect(wrongOrigin.status.code == 403)
            #expect(wrongOrigin.json["code"] as? String == "origin-not-allowed")
            let noOrigin = try await attempt("/ws/visitor?key=\(harness.acmeWidgetKey)", origin: nil)
            #expect(noOrigin.status.code == 403)
            let unknownKey = try await attempt("/ws/visitor?key=kfw_nothing", origin: RealtimeHarness.origin)
            #expect(unknownKey.status.code == 404)
            #expect(unknownKey.json["code"] as? String == "widget-not-found")
            let anonymousAgent = try await attempt("/ws/agent", origin: nil)
            #expect(anonymousAgent.status.code == 401)
            let cookieFromElsewhere = try await attempt("/ws/agent", origin: "https://evil.example",
                                                        extra: [("Cookie", "kefu_session=\(try await harness.token(email: "agent@acme.example"))")])
            #expect(cookieFromElsewhere.status.code == 403)
        }
    }

    @Test func badFramesGetErrorFramesAndOversizeFramesClose() async throws {
        try await RealtimeHarness.with { harness in
            let visitor = try await harness.visitor()
            await visitor.sendText("{not json")
            #expect(try await visitor.next("error")["code"] as? String == "invalid-frame")
            try await visitor.send(["type": "send", "clientId": "c", "text": "before hello"])
            #expect(try await visitor.next("error")["message"] as? String == "Send \"hello\" first.")
            try await visitor.send(["type": "hello"])
            _ = try await visitor.next("welcome")
            // A malformed frame whose ref can be read gets it back, so the client can fail that
            // send at once: read by the flat-frame parser, and by the general decoder.
            await visitor.sendText(#"{"type":"send","clientId":5,"ref":"r1","text":"hi"}"#)
            let flat = try await visitor.next("error")
            #expect(flat["ref"] as? String == "r1")
            #expect(flat["code"] as? String == "invalid-frame")
            await visitor.sendText(#"{"type":"send","clientId":"c","text":"hi","seq":1.5,"ref":"r2"}"#)
            let general = try await visitor.next("error")
            #expect(general["ref"] as? String == "r2")
            #expect(general["code"] as? String == "invalid-frame")
            try await visitor.send(["type": "send", "clientId": "big", "text": String(repeating: "x", count: 4097)])
            #expect(try await visitor.next("error")["code"] as? String == "too-large")
            await visitor.send(opcode: .binary, ByteBuffer(bytes: [1, 2, 3]))
            #expect(try await visitor.next("error")["code"] as? String == "invalid-frame")
            try await visitor.send(["type": "ping", "ref": "still-here"])
            #expect(try await visitor.next("pong")["ref"] as? String == "still-here")
            #expect(try await harness.sql("SELECT count(*)::text FROM messages") == [["0"]])

            // A frame over the 64 KB frame limit closes the socket (1009).
            await visitor.sendText(String(repeating: "y", count: 70_000))
            while try await visitor.next() != nil {}
            #expect(await visitor.closeCode == .messageTooLarge)

            // Repeated abuse closes the socket too.
            let abuser = try await harness.visitor()
            for _ in 0...12 { await abuser.sendText("nonsense") }
            while try await abuser.next() != nil {}
            #expect(await abuser.closeCode == .policyViolation)
        }
    }
}

extension RealtimeLiveTests {
    @Test func framesDroppedBecauseTooManyAreWaitingAreRefusedWithTheirRef() async throws {
        try await RealtimeHarness.with { harness in
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "c", "text": "hello"])
            _ = try await visitor.next("ack")
            // History reads wait for the database; sent in one burst, most of them queue.
            for index in 0..<1000 { await visitor.sendText(#"{"type":"history","limit":1,"ref":"h\#(index)"}"#) }
            var refused: [String] = []
            while let frame = try await visitor.next() {
                if frame["type"] as? String == "error" { refused.append("\(frame["code"] ?? "-") \(frame["ref"] ?? "-")") }
            }
            // Dropped frames count as invalid: the socket is closed after the tenth.
            #expect(await visitor.closeCode == .policyViolation)
            #expect(!refused.isEmpty)
            #expect(refused.allSatisfy { $0.hasPrefix("rate-limited h") }, "every refusal names its frame: \(refused)")
        }
    }
}

/// Builds `HTTPFields` from name/value pairs.
struct HTTPFieldsBuilder {
    var fields = HTTPFields()

    init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { add(name, value) }
    }

    mutating func add(_ name: String, _ value: String) {
        if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

/// What the web chat and the workspace read from the server besides the sockets' frames: the
/// widget's public face, colleagues' names, the pages themselves, inbox rows and counts, and
/// names on conversations and messages (never emails).
@Suite(.serialized) struct WebChatSupportLiveTests {
    @Test func theWidgetConfigIsPublicReadableFromAnyOriginAndHoldsNoSecret() async throws {
        try await RealtimeHarness.with { harness in
            let config = try await harness.request(.get, "/api/v1/widget/config?key=\(harness.acmeWidgetKey)", token: nil)
            #expect(config.status == .ok)
            #expect(config.json["name"] as? String == "Shop")
            #expect(config.json["position"] as? String == "right")
            #expect(config.json["agentsOnline"] as? Bool == false)
            #expect(config.json["online"] as? Bool == true)
            #expect((config.json["maxUploadBytes"] as? Int ?? 0) > 0)
            #expect(config.json["identitySecret"] == nil && config.json["allowedOrigins"] == nil && config.json["publicKey"] == nil)
            let headers = try await Self.headers(harness, "/api/v1/widget/config?key=\(harness.acmeWidgetKey)")
            #expect(headers[.accessControlAllowOrigin] == "*")

            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            let online = try await harness.request(.get, "/api/v1/widget/config?key=\(harness.acmeWidgetKey)", token: nil)
            #expect(online.json["agentsOnline"] as? Bool == true)
            let (_, welcome) = try await harness.visitorHello()
            let widget = try #require(welcome["widget"] as? [String: Any])
            #expect(widget["name"] as? String == "Shop" && widget["position"] as? String == "right" && widget["agentsOnline"] as? Bool == true)
            _ = agent

            let unknown = try await harness.request(.get, "/api/v1/widget/config?key=kfw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", token: nil)
            #expect(unknown.status == .notFound)
            #expect(unknown.json["code"] as? String == "widget-not-found")
            let missing = try await harness.request(.get, "/api/v1/widget/config", token: nil)
            #expect(missing.status.code == 422)
        }
    }

    @Test func agentsAreListedByNameWithoutEmails() async throws {
        try await RealtimeHarness.with { harness in
            let token = try await harness.token(email: "agent@acme.example")
            let (agent, _) = try await harness.agent(token: token)
            let reply = try await harness.request(.get, "/api/v1/agents", token: token)
            #expect(reply.status == .ok)
            let items = try #require(reply.json["items"] as? [[String: Any]])
            #expect(Set(items.compactMap { $0["displayName"] as? String }).isSuperset(of: ["Agent", "Agent Two"]))
            #expect(items.allSatisfy { $0["email"] == nil })
            #expect(items.first { $0["displayName"] as? String == "Agent" }?["presence"] as? String == "online")
            #expect(!reply.text.contains("@acme.example"))
            _ = agent
            #expect(try await harness.request(.get, "/api/v1/agents", token: nil).status == .unauthorized)
        }
    }

    @Test func theChatPageAnswersForKnownKeysAndIs404ForOthersAndWidgetFilesAreReadableCrossOrigin() async throws {
        try await RealtimeHarness.with { harness in
            let page = try await harness.request(.get, "/chat/\(harness.acmeWidgetKey)", token: nil)
            #expect(page.status == .ok)
            #expect(page.text.contains("<html"))
            let unknown = try await harness.request(.get, "/chat/kfw_unknown", token: nil)
            #expect(unknown.status == .notFound)
            #expect(unknown.text.contains("<html"), "a page that says so, not JSON")

            for path in ["/widget.js", "/widget/panel.js", "/shared/socket.js"] {
                let headers = try await Self.headers(harness, path)
                #expect(headers[.accessControlAllowOrigin] == "*", "\(path)")
            }
            #expect(try await Self.headers(harness, "/app/main.js")[.accessControlAllowOrigin] == nil)
            let app = try await harness.request(.get, "/app", token: nil)
            #expect(app.status.code == 308 || app.status.code == 301)
            let workspace = try await harness.request(.get, "/app/", token: nil)
            #expect(workspace.status == .ok, "the workspace itself, not a redirect to itself")
            #expect(workspace.text.contains("<html"))
        }
    }

    @Test func theServersOwnOriginMayOpenAWidgetsSocketWhateverItsAllowedOrigins() async throws {
        try await RealtimeHarness.with { harness in
            let port = harness.nodes[0].port
            let own = try await harness.visitor(origin: "http://127.0.0.1:\(port)")
            try await own.send(["type": "hello", "v": 1])
            _ = try await own.next("welcome")
            // Another port on the same host is another origin.
            await #expect(throws: (any Error).self) {
                _ = try await harness.visitor(origin: "http://127.0.0.1:\(port + 1)")
            }
        }
    }

    @Test func conversationsAndMessagesCarryTheAgentsNameNeverTheirEmail() async throws {
        try await RealtimeHarness.with { harness in
            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "n1", "text": "hello"])
            // The conversation frames (created, then assigned at once) come before the ack.
            var assigned: [String: Any]?
            var conversationID: String?
            while conversationID == nil {
                let frame = try #require(try await visitor.next())
                if let conversation = frame["conversation"] as? [String: Any], conversation["status"] as? String == "open" { assigned = conversation }
                if frame["type"] as? String == "ack" { conversationID = frame["conversationId"] as? String }
            }
            #expect(assigned?["assigneeName"] as? String == "Agent")
            let id = try #require(conversationID)

            try await agent.send(["type": "send", "conversationId": id, "clientId": "a1", "text": "Hi, I am here"])
            let live = try await visitor.nextMessage(from: "agent")
            #expect(live["senderName"] as? String == "Agent")
            try await visitor.send(["type": "history", "ref": "h"])
            let history = try #require(try await visitor.next("history")["messages"] as? [[String: Any]])
            #expect(history.first { $0["senderType"] as? String == "agent" }?["senderName"] as? String == "Agent")
            #expect(history.first { $0["senderType"] as? String == "visitor" }?["senderName"] == nil)
        }
    }

    @Test func inboxRowsCarryTheVisitorAndLatestMessageNewestFirstWithCounts() async throws {
        try await RealtimeHarness.with { harness in
            let owner = try await harness.token(email: "boss@acme.example")
            var ids: [String] = []
            var visitors: [WebSocketTestClient] = []
            for (index, name) in ["Ada Lovelace", "Grace Hopper", "Alan Turing"].enumerated() {
                let (visitor, _) = try await harness.visitorHello(["profile": ["name": name, "email": "v\(index)@example.com"] as [String: any Sendable]])
                try await visitor.send(["type": "send", "clientId": "c\(index)", "text": "question number \(index)"])
                ids.append(try #require(try await visitor.next("ack")["conversationId"] as? String))
                visitors.append(visitor)
            }
            let newest = try await harness.request(.get, "/api/v1/conversations?order=desc&limit=2", token: owner)
            let rows = try #require(newest.json["items"] as? [[String: Any]])
            #expect(rows.compactMap { $0["id"] as? String } == [ids[2], ids[1]])
            #expect((rows.first?["visitor"] as? [String: Any])?["name"] as? String == "Alan Turing")
            let preview = try #require(rows.first?["lastMessage"] as? [String: Any])
            #expect(preview["text"] as? String == "question number 2" && preview["senderType"] as? String == "visitor" && preview["kind"] as? String == "text")
            let cursor = try #require(newest.json["nextCursor"] as? String)
            let older = try await harness.request(.get, "/api/v1/conversations?order=desc&limit=2&cursor=\(cursor)", token: owner)
            #expect((older.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[0]])
            #expect(try await harness.request(.get, "/api/v1/conversations?order=sideways", token: owner).status.code == 422)

            // Most recent activity first: the oldest conversation writes again and leads, and the
            // cursor pages on by activity.
            try await visitors[0].send(["type": "send", "clientId": "c0-again", "text": "one more thing"])
            _ = try await visitors[0].next("ack")
            let active = try await harness.request(.get, "/api/v1/conversations?order=activity&limit=2", token: owner)
            #expect((active.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[0], ids[2]])
            let activeCursor = try #require(active.json["nextCursor"] as? String)
            let lessActive = try await harness.request(.get, "/api/v1/conversations?order=activity&limit=2&cursor=\(activeCursor)", token: owner)
            #expect((lessActive.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[1]])

            // A search box's form encoding: `+` is a space.
            let found = try await harness.request(.get, "/api/v1/conversations?q=Grace+Hopper", token: owner)
            #expect((found.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[1]])

            let counts = try await harness.request(.get, "/api/v1/conversations/counts", token: owner)
            #expect(counts.status == .ok)
            #expect(counts.json["queued"] as? Int == 3 && counts.json["mine"] as? Int == 0 && counts.json["resolved"] as? Int == 0)
        }
    }

    @Test func unreadCountsTheVisitorsMessagesOnly() async throws {
        try await RealtimeHarness.with { harness in
            let owner = try await harness.token(email: "boss@acme.example")
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "u1", "text": "first question"])
            let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String)
            try await visitor.send(["type": "send", "clientId": "u2", "text": "second question"])
            _ = try await visitor.next("ack")
            func conversation() async throws -> (unread: Int?, lastSeq: Int?) {
                let json = try await harness.request(.get, "/api/v1/conversations/\(conversationID)", token: owner).json
                return (json["unread"] as? Int, json["lastSeq"] as? Int)
            }
            #expect(try await conversation() == (2, 2))

            // Events (the assignment, made as the agent comes online) and notes are not unread;
            // each visitor message is.
            let (agent, _) = try await harness.agent(token: try await harness.token(email: "agent@acme.example"))
            var assigned = false
            for _ in 0..<50 where !assigned {
                let json = try await harness.request(.get, "/api/v1/conversations/\(conversationID)", token: owner).json
                assigned = json["assigneeId"] is String
                if !assigned { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(assigned)
            try await agent.send(["type": "send", "conversationId": conversationID, "clientId": "n1", "text": "VIP", "note": true])
            _ = try await agent.next("ack")
            let (unread, lastSeq) = try await conversation()
            #expect(unread == 2 && (lastSeq ?? 0) >= 4, "unread \(String(describing: unread)) at seq \(String(describing: lastSeq))")

            // Read up to the first question: one left; read to the end: none; a new one: one.
            try await agent.send(["type": "read", "conversationId": conversationID, "seq": 1])
            _ = try await visitor.next("read")
            #expect(try await conversation().unread == 1)
            try await agent.send(["type": "read", "conversationId": conversationID, "seq": lastSeq ?? 0])
            _ = try await visitor.next("read")
            #expect(try await conversation().unread == 0)
            try await visitor.send(["type": "send", "clientId": "u3", "text": "third question"])
            _ = try await visitor.next("ack")
            #expect(try await conversation().unread == 1)
            let rows = try await harness.request(.get, "/api/v1/conversations?limit=5", token: owner)
            #expect((rows.json["items"] as? [[String: Any]])?.first { $0["id"] as? String == conversationID }?["unread"] as? Int == 1)
        }
    }

    @Test func anAgentWithoutConversationsReadListsAndReadsOnlyTheirOwn() async throws {
        try await RealtimeHarness.with { harness in
            let owner = try await harness.token(email: "boss@acme.example")
            let role = try await harness.request(.post, "/api/v1/roles", ["name": "Reply only", "description": "", "permissions": ["conversations.reply"]],
                                                 token: owner)
            let roleID = try #require(role.json["id"] as? String)
            let created = try await harness.request(.post, "/api/v1/users", ["email": "replier@acme.example", "displayName": "Replier",
                                                                              "password": TestApplication.password, "roleId": roleID,
                                                                              "maxConcurrentChats": 5], token: owner)
            #expect(created.status == .created)
            let replier = try await harness.token(email: "replier@acme.example")
            let (agent, _) = try await harness.agent(token: replier)

            // Theirs: assigned as they are the one online. Then away, so the next waits unassigned.
            let (mine, _) = try await harness.visitorHello()
            try await mine.send(["type": "send", "clientId": "m1", "text": "mine"])
            let mineID = try #require(try await mine.next("ack")["conversationId"] as? String)
            var assigned = false
            for _ in 0..<50 where !assigned {
                assigned = try await harness.request(.get, "/api/v1/conversations/\(mineID)", token: owner).json["assigneeId"] is String
                if !assigned { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(assigned)
            try await agent.send(["type": "presence", "status": "away", "ref": "p"])
            _ = try await agent.next("ok")
            let (other, _) = try await harness.visitorHello()
            try await other.send(["type": "send", "clientId": "o1", "text": "not theirs"])
            let otherID = try #require(try await other.next("ack")["conversationId"] as? String)

            let listed = try await harness.request(.get, "/api/v1/conversations?limit=50", token: replier)
            #expect(listed.status == .ok)
            #expect((listed.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [mineID])
            #expect(try await harness.request(.get, "/api/v1/conversations?assigneeId=none", token: replier).status == .forbidden)
            let all = try await harness.request(.get, "/api/v1/conversations?limit=50", token: owner)
            #expect(Set((all.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []) == [mineID, otherID])

            func visitorOf(_ id: String) async throws -> String {
                try #require(try await harness.request(.get, "/api/v1/conversations/\(id)", token: owner).json["visitorId"] as? String)
            }
            #expect(try await harness.request(.get, "/api/v1/visitors/\(try await visitorOf(mineID))", token: replier).status == .ok)
            #expect(try await harness.request(.get, "/api/v1/visitors/\(try await visitorOf(otherID))", token: replier).status == .notFound)
            #expect(try await harness.request(.get, "/api/v1/visitors/\(try await visitorOf(otherID))", token: owner).status == .ok)
        }
    }

    static func headers(_ harness: RealtimeHarness, _ path: String) async throws -> HTTPFields {
        let response = try await TestClient.withClient(host: "127.0.0.1", port: harness.nodes[0].port) { client in
            try await client.execute(TestClient.Request(path, method: .get, headers: [:], body: nil))
        }
        return response.headers
    }
}

import Foundation
import Testing
import TestSupport

/// Presence counts an agent's sockets on every node, and the queue is served, oldest first,
/// whenever an agent becomes available again.
@Suite(.serialized) struct PresenceAcrossNodesLiveTests {
    @Test func closingOneOfTwoTabsOnDifferentNodesKeepsTheAgentOnlineAndAssigned() async throws {
        try await RealtimeHarness.with(nodes: 2) { harness in
            let token = try await harness.token(email: "agent@acme.example")
            let (first, _) = try await harness.agent(node: 0, token: token)
            let (second, _) = try await harness.agent(node: 1, token: token)
            await first.close()
            // The close on node 0 must not take the agent offline: node 1 still holds a socket.
            // Wait until node 0 has let go of them, then look.
            var holds: [[String?]] = []
            for _ in 0..<40 {
                holds = try await harness.sql("SELECT count(*)::text FROM agent_connections")
                if holds == [["1"]] { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(holds == [["1"]], "node 0 let go of the agent, node 1 holds them")
            let status = try await harness.sql("SELECT p.status FROM agent_presence p JOIN users u ON u.id = p.user_id WHERE u.email = 'agent@acme.example'")
            #expect(status == [["online"]])

            let (visitor, _) = try await harness.visitorHello(node: 0)
            try await visitor.send(["type": "send", "clientId": "c1", "text": "在吗"])
            _ = try await visitor.next("ack")
            // Offered at once (first as queued, then assigned), not left in the queue.
            var offeredStatus: String?
            while offeredStatus != "open" {
                let offered = try await second.next("conversation", timeout: .seconds(30))
                offeredStatus = (offered["conversation"] as? [String: Any])?["status"] as? String
            }
            await visitor.close()
            await second.close()
        }
    }

    @Test func aConversationQueuedWhileTheAgentLookedOfflineIsAssignedWhenTheirHeartbeatReturnsOldestFirst() async throws {
        try await RealtimeHarness.with(nodes: 2) { harness in
            let token = try await harness.token(email: "agent@acme.example")
            let (agent, _) = try await harness.agent(node: 1, token: token)
            // What a stale close elsewhere used to leave behind: the agent marked offline while
            // node 1 still holds their socket.
            _ = try await harness.sql("UPDATE agent_presence SET status = 'offline'")
            let (older, _) = try await harness.visitorHello(node: 0)
            try await older.send(["type": "send", "clientId": "o1", "text": "first in line"])
            let olderID = try #require(try await older.next("ack")["conversationId"] as? String)
            let queued = try await harness.sql("SELECT status, assignee_id FROM conversations")
            #expect(queued == [["queued", nil]])

            // Node 1's next heartbeat (every 10 s) brings the agent back and serves the queue.
            let deadline = ContinuousClock.now + .seconds(25)
            var assigned = false
            while ContinuousClock.now < deadline && !assigned {
                try await Task.sleep(for: .milliseconds(500))
                assigned = try await harness.sql("SELECT status FROM conversations WHERE id = '\(olderID.lowercased())'") == [["open"]]
            }
            #expect(assigned, "the queued conversation stayed queued after the agent came back")

            // A newer conversation does not jump the queue either: with the agent full (capacity
            // 1), the older queued one is served first when room appears.
            _ = try await harness.sql("UPDATE users SET max_concurrent_chats = 1 WHERE email = 'agent@acme.example'")
            let (waiting, _) = try await harness.visitorHello(node: 0)
            try await waiting.send(["type": "send", "clientId": "w1", "text": "second"])
            let waitingID = try #require(try await waiting.next("ack")["conversationId"] as? String)
            let (newest, _) = try await harness.visitorHello(node: 1)
            try await newest.send(["type": "send", "clientId": "n1", "text": "third"])
            let newestID = try #require(try await newest.next("ack")["conversationId"] as? String)
            try await agent.send(["type": "resolve", "conversationId": olderID, "ref": "r"])
            _ = try await agent.next("ok")
            var served: [[String?]] = []
            for _ in 0..<20 {
                try await Task.sleep(for: .milliseconds(250))
                served = try await harness.sql("""
                    SELECT id::text, status FROM conversations WHERE id IN ('\(waitingID.lowercased())', '\(newestID.lowercased())') ORDER BY queued_at
                    """)
                if served.first?[1] == "open" { break }
            }
            #expect(served == [[waitingID.lowercased(), "open"], [newestID.lowercased(), "queued"]])
            await agent.close()
        }
    }
}

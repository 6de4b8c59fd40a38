import Foundation
import HTTPTypes
import Testing
import TestSupport

/// A/B tests between two providers: each new conversation draws its arm once (from its id),
/// records it and keeps it; the split's share of conversations is answered by the other
/// provider; per-arm results count conversations, handoffs by reason and ratings.
@Suite(.serialized) struct BotExperimentsLiveTests {
    /// The arm a conversation falls in under a split of `percent`: as the server draws it.
    static func arm(_ conversationID: String, percent: Int) -> String {
        let bytes = UUID(uuidString: conversationID)!.uuid
        return (Int(bytes.0) << 8 | Int(bytes.1)) % 100 < percent ? "b" : "a"
    }

    @Test func conversationsAreSplitBetweenTwoProvidersAndResultsAreCountedPerArm() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, id) = try await BotLiveTests.setUp(harness, llm)
                let providerA = id.lowercased()
                let created = try await harness.request(.post, "/api/v1/llm/providers", ["name": "Challenger", "kind": "openai-compatible",
                                                                                        "baseUrl": llm.openAIBase, "model": "fake-model-b"], token: boss)
                let providerB = try #require(created.json["id"] as? String).lowercased()
                let split = try await harness.request(.patch, "/api/v1/llm/providers/\(providerA)", ["splitProviderId": providerB, "splitPercent": 50], token: boss)
                #expect((split.json["splitProviderId"] as? String)?.lowercased() == providerB, "\(split.text)")

                var arms: [String: String] = [:]
                var visitors: [(WebSocketTestClient, String)] = []
                for index in 0..<16 {
                    let (visitor, _) = try await harness.visitorHello()
                    try await visitor.send(["type": "send", "clientId": "v-\(index)", "text": "hello [say:Hi \(index)]"])
                    let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String).lowercased()
                    #expect(try await visitor.nextMessage(from: "bot")["text"] as? String == "Hi \(index)")
                    arms[conversationID] = Self.arm(conversationID, percent: 50)
                    visitors.append((visitor, conversationID))
                }
                let recorded = try await harness.sql("SELECT id::text, bot_arm, bot_provider_id::text, bot_experiment_id::text FROM conversations WHERE tenant_id = kefu_current_tenant()")
                #expect(recorded.count == 16)
                for row in recorded {
                    let arm = try #require(row[1])
                    #expect(arm == arms[row[0]!], "the arm drawn from the conversation's id: \(row)")
                    #expect(row[2] == (arm == "b" ? providerB : providerA) && row[3] == providerA, "\(row)")
                }
                let chats = llm.requests.filter { $0.path.hasSuffix("/chat/completions") }
                #expect(chats.filter { $0.body["model"] as? String == "fake-model-b" }.count == arms.values.filter { $0 == "b" }.count)

                // A conversation keeps its arm, even when the split changes.
                _ = try await harness.request(.patch, "/api/v1/llm/providers/\(providerA)", ["splitPercent": 100], token: boss)
                let (first, firstID) = visitors.first { arms[$0.1] == "a" }!
                try await first.send(["type": "send", "clientId": "again", "text": "and again [say:Again]"])
                _ = try await first.nextMessage(from: "bot")
                #expect(llm.requests.last?.body["model"] as? String == "fake-model", "arm a stays with provider a")

                // A handoff in that conversation, then a rating after a person resolves it.
                try await first.send(["type": "send", "clientId": "human", "text": "转人工"])
                _ = try await first.nextMessage(from: "system")
                let agent = try await harness.token(email: "agent@acme.example")
                #expect(try await harness.request(.post, "/api/v1/conversations/\(firstID)/accept", token: agent).status == .ok)
                #expect(try await harness.request(.post, "/api/v1/conversations/\(firstID)/resolve", token: agent).status == .ok)
                while true {
                    let frame = try await first.next("conversation")
                    if (frame["conversation"] as? [String: Any])?["status"] as? String == "resolved" { break }
                }
                try await first.send(["type": "rate", "rating": 4, "ref": "rated"])
                #expect(try await first.next("ok")["ref"] as? String == "rated")

                let results = try await harness.request(.get, "/api/v1/llm/providers/\(providerA)/experiment", token: boss)
                #expect(results.status == .ok, "\(results.text)")
                let byArm = Dictionary(uniqueKeysWithValues: (results.json["arms"] as? [[String: Any]] ?? []).map { ($0["arm"] as? String ?? "", $0) })
                #expect(byArm["a"]?["conversations"] as? Int == arms.values.filter { $0 == "a" }.count, "\(results.text)")
                #expect(byArm["b"]?["conversations"] as? Int == arms.values.filter { $0 == "b" }.count)
                #expect((byArm["a"]?["handoffs"] as? [String: Any])?["keyword"] as? Int == 1 && byArm["a"]?["handedOff"] as? Int == 1)
                #expect(byArm["a"]?["ratings"] as? Int == 1 && byArm["a"]?["averageRating"] as? Double == 4)
                #expect(byArm["b"]?["handedOff"] as? Int == 0 && byArm["b"]?["averageRating"] == nil, "\(results.text)")
                let later = try await harness.request(.get, "/api/v1/llm/providers/\(providerA)/experiment?since=2999-01-01T00:00:00Z", token: boss)
                #expect((later.json["arms"] as? [[String: Any]])?.allSatisfy { $0["conversations"] as? Int == 0 } == true, "\(later.text)")
                #expect(try await harness.request(.get, "/api/v1/llm/providers/\(providerA)/experiment?since=yesterday", token: boss).status.code == 422)

                let invalid = try await harness.request(.patch, "/api/v1/llm/providers/\(providerB)", ["splitProviderId": providerB, "splitPercent": 101], token: boss)
                let fields = Set((invalid.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
                #expect(fields == ["splitProviderId", "splitPercent"], "\(invalid.text)")
                for (visitor, _) in visitors { await visitor.close() }
            }
        }
    }
}

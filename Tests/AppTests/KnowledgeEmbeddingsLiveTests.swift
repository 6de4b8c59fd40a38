import Foundation
import HTTPTypes
import Testing
import TestSupport

/// Retrieval with embeddings: a provider with an embedding model has the tenant's knowledge
/// embedded in the background; a question that shares no word with a document finds it by meaning
/// (fused with full-text search), in English and Chinese; a change re-embeds; a failing embedding
/// model leaves the search to full text; and the bot's prompt carries what was found.
@Suite(.serialized) struct KnowledgeEmbeddingsLiveTests {
    static let refunds = """
        # Refund policy

        Refunds are issued within 14 days to the original payment method.

        # 退款说明

        签收后 7 天内可以申请退款，原路返回。
        """
    static let orders = """
        # Orders

        Orders over 99 yuan ship free; ask us about gift wrapping.
        """

    /// Polls until every chunk of the tenant has a vector.
    static func waitForEmbeddings(_ harness: RealtimeHarness, count: Int) async throws {
        let until = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < until {
            let rows = try await harness.sql("""
                SELECT count(*) FILTER (WHERE embedding IS NOT NULL)::text, count(*)::text FROM knowledge_chunks
                WHERE tenant_id = kefu_current_tenant()
                """)
            if rows.first == [String(count), String(count)] { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("the chunks were not embedded within 10 s")
    }

    static func search(_ harness: RealtimeHarness, _ question: String, token: String) async throws -> [[String: Any]] {
        let found = try await harness.request(.get, "/api/v1/knowledge/search?q=\(KnowledgeLiveTests.query(question))", token: token)
        #expect(found.status == .ok, "\(found.text)")
        return found.json["chunks"] as? [[String: Any]] ?? []
    }

    @Test func questionsFindDocumentsByMeaningAndChangesAreEmbeddedAgain() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, providerID) = try await BotLiveTests.setUp(harness, llm, ["embeddingModel": "fake-embedding"])
                _ = try await harness.request(.post, "/api/v1/knowledge/documents", ["title": "Refunds", "body": Self.refunds], token: boss)
                _ = try await harness.request(.post, "/api/v1/knowledge/documents", ["title": "Orders", "body": Self.orders], token: boss)
                try await Self.waitForEmbeddings(harness, count: 3)
                let listed = try await harness.request(.get, "/api/v1/knowledge/documents", token: boss)
                #expect((listed.json["items"] as? [[String: Any]])?.allSatisfy { $0["embeddedChunks"] as? Int == $0["chunks"] as? Int } == true,
                        "\(listed.text)")
                let embedded = llm.requests.filter { $0.path == "/v1/embeddings" }
                #expect(embedded.first?.body["model"] as? String == "fake-embedding" && embedded.first?.authorization == "Bearer \(BotLiveTests.key)")

                // No word in common with either refund chunk: both found by meaning, nothing else.
                let english = try await Self.search(harness, "How do I get my money back?", token: boss)
                #expect(Set(english.compactMap { $0["heading"] as? String }) == ["Refund policy", "退款说明"], "below the similarity floor: \(english)")
                #expect(english.allSatisfy { $0["similarity"] as? Double ?? 0 > 0.8 && $0["textRank"] == nil }, "\(english)")
                let chinese = try await Self.search(harness, "我想退钱", token: boss)
                #expect(chinese.first?["heading"] as? String == "退款说明", "\(chinese)")
                // Both searches agreeing rank a chunk above either alone.
                let both = try await Self.search(harness, "refund delivery", token: boss)
                #expect(both.first?["textRank"] != nil && both.first?["similarity"] != nil, "\(both)")
                // Three chunks of 64 float16 values and their keys, held for search.
                let metrics = try await harness.request(.get, "/metrics", token: nil).text
                #expect(metrics.contains("kefu_knowledge_vectors_bytes 456"), "\(metrics.split(separator: "\n").filter { $0.contains("knowledge") })")

                // A change is embedded again, and the nodes' cached vectors follow it.
                let documents = try await harness.request(.get, "/api/v1/knowledge/documents", token: boss)
                let ordersID = try #require((documents.json["items"] as? [[String: Any]])?.first { $0["title"] as? String == "Orders" }?["id"] as? String)
                _ = try await harness.request(.patch, "/api/v1/knowledge/documents/\(ordersID)",
                                              ["body": "# Delivery times\n\nOur courier brings parcels in two days."], token: boss)
                try await Self.waitForEmbeddings(harness, count: 3)
                let shipping = try await Self.search(harness, "When will the shipping arrive?", token: boss)
                #expect(shipping.first?["heading"] as? String == "Delivery times", "\(shipping)")

                // Without an embedding model: full-text search alone, which knows no "money".
                _ = try await harness.request(.patch, "/api/v1/llm/providers/\(providerID)", ["embeddingModel": ""], token: boss)
                #expect(try await Self.search(harness, "How do I get my money back?", token: boss).isEmpty)
            }
        }
    }

    @Test func aFailingEmbeddingModelLeavesTheSearchToFullTextAndTheBotUsesWhatIsFound() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await BotLiveTests.setUp(harness, llm, ["embeddingModel": "fake-embedding"])
                _ = try await harness.request(.post, "/api/v1/knowledge/documents", ["title": "Refunds", "body": Self.refunds], token: boss)
                try await Self.waitForEmbeddings(harness, count: 2)

                let failing = try await Self.search(harness, "refund [embed-500]", token: boss)
                #expect(failing.first?["heading"] as? String == "Refund policy" && failing.first?["similarity"] == nil,
                        "the text search still answers: \(failing)")

                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "Can I get my money back? [say:Yes, within 14 days.]"])
                let answer = try await visitor.nextMessage(from: "bot")
                #expect(answer["text"] as? String == "Yes, within 14 days.\n\nSources: Refunds", "\(answer)")
                let prompt = (llm.requests.last { $0.path.hasSuffix("/chat/completions") }?.body["messages"] as? [[String: any Sendable]])?
                    .first?["content"] as? String ?? ""
                #expect(prompt.contains("Refunds are issued within 14 days"), "found by meaning, given to the model: \(prompt)")
                await visitor.close()

                let invalid = try await harness.request(.post, "/api/v1/llm/providers", ["name": "Dify", "kind": "dify", "baseUrl": llm.openAIBase,
                                                                                       "embeddingModel": "x", "embeddingMinSimilarity": 2], token: boss)
                let fields = Set((invalid.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
                #expect(fields == ["embeddingModel", "embeddingMinSimilarity"], "\(invalid.text)")
            }
        }
    }

    @Test func oneVectorOfAnotherLengthForgetsNothing() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await BotLiveTests.setUp(harness, llm, ["embeddingModel": "fake-embedding"])
                _ = try await harness.request(.post, "/api/v1/knowledge/documents", ["title": "Refunds", "body": Self.refunds], token: boss)
                try await Self.waitForEmbeddings(harness, count: 2)

                // A malformed answer (a truncated vector), then the model's usual length again, twice over.
                for _ in 1...2 {
                    llm.vectorLength.withLock { $0 = 32 }
                    let odd = try await Self.search(harness, "How do I get my money back?", token: boss)
                    #expect(odd.allSatisfy { $0["similarity"] == nil }, "the odd vector is compared with nothing: \(odd)")
                    llm.vectorLength.withLock { $0 = FakeLLMServer.dimensions }
                    let found = try await Self.search(harness, "How do I get my money back?", token: boss)
                    #expect(found.contains { $0["similarity"] != nil }, "found by meaning with the stored vectors: \(found)")
                }
                #expect(try await harness.sql("SELECT count(*)::text FROM knowledge_chunks WHERE embedding IS NULL") == [["0"]],
                        "no stored vector was forgotten")
            }
        }
    }

    @Test func vectorsOfANewLengthUnderTheSameModelAreMadeAgain() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await BotLiveTests.setUp(harness, llm, ["embeddingModel": "fake-embedding"])
                _ = try await harness.request(.post, "/api/v1/knowledge/documents", ["title": "Refunds", "body": Self.refunds], token: boss)
                try await Self.waitForEmbeddings(harness, count: 2)
                #expect(try await harness.sql("SELECT DISTINCT octet_length(embedding)::text FROM knowledge_chunks") == [["128"]])

                // The provider's model now answers with 96 numbers: the stored 64 are forgotten
                // once two questions in a row get the new length (each search falls back to full
                // text meanwhile), and made again.
                llm.vectorLength.withLock { $0 = 96 }
                for _ in 1...2 {
                    let meanwhile = try await Self.search(harness, "How do I get my money back?", token: boss)
                    #expect(meanwhile.allSatisfy { $0["similarity"] == nil }, "no stale vector is compared: \(meanwhile)")
                }
                let until = ContinuousClock.now + .seconds(10)
                while try await harness.sql("SELECT DISTINCT octet_length(embedding)::text FROM knowledge_chunks") != [["192"]], ContinuousClock.now < until {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await harness.sql("SELECT DISTINCT octet_length(embedding)::text FROM knowledge_chunks") == [["192"]])
                let found = try await Self.search(harness, "How do I get my money back?", token: boss)
                #expect(Set(found.compactMap { $0["heading"] as? String }) == ["Refund policy", "退款说明"] && found.allSatisfy { $0["similarity"] != nil },
                        "found by meaning again: \(found)")
            }
        }
    }
}

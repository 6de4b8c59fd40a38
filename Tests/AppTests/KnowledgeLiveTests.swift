import Foundation
import HTTPTypes
import Testing
import TestSupport

/// The bot's knowledge end to end: documents and FAQ entries over REST, retrieval in Chinese and
/// English, a FAQ answered as it is (no provider call), retrieved chunks in the provider's prompt
/// with their titles cited, and "not found" said instead of invented.
@Suite(.serialized) struct KnowledgeLiveTests {
    static let returns = """
        # 退货政策

        商品签收后 7 天内可以无理由退货，请保留原包装和发票。

        # Shipping

        Orders over 99 yuan ship free. Delivery takes two to three days.
        """

    @Test func documentsAndFAQAreManagedAndSearchedInBothLanguages() async throws {
        try await RealtimeHarness.with { harness in
            let boss = try await harness.token(email: "boss@acme.example")
            let created = try await harness.request(.post, "/api/v1/knowledge/documents", ["title": "售后说明", "format": "markdown", "body": Self.returns], token: boss)
            #expect(created.status == .created && created.json["chunks"] as? Int == 2, "\(created.text)")
            let id = try #require(created.json["id"] as? String)
            let faq = try await harness.request(.post, "/api/v1/knowledge/faqs", ["questions": ["营业时间是几点？", "What are your opening hours?"],
                                                                                  "answer": "每天 9:00–21:00 营业。"], token: boss)
            #expect(faq.status == .created, "\(faq.text)")

            let chinese = try await harness.request(.get, "/api/v1/knowledge/search?q=\(Self.query("怎么退貨？"))", token: boss)
            #expect((chinese.json["chunks"] as? [[String: Any]])?.first?["heading"] as? String == "退货政策", "traditional 貨 finds 货: \(chinese.text)")
            let english = try await harness.request(.get, "/api/v1/knowledge/search?q=\(Self.query("How long does shipping take?"))", token: boss)
            #expect((english.json["chunks"] as? [[String: Any]])?.first?["heading"] as? String == "Shipping", "\(english.text)")
            let hours = try await harness.request(.get, "/api/v1/knowledge/search?q=\(Self.query("你们营业时间是几点"))", token: boss)
            #expect((hours.json["faq"] as? [String: Any])?["answersDirectly"] as? Bool == true, "\(hours.text)")
            // The search functions run as the tables' owner and name the tenant themselves: another
            // tenant finds none of this.
            let globex = try await harness.token(tenant: "globex", email: "boss@globex.example")
            for question in ["怎么退货？", "How long does shipping take?", "你们营业时间是几点"] {
                let other = try await harness.request(.get, "/api/v1/knowledge/search?q=\(Self.query(question))", token: globex)
                #expect(other.status == .ok && (other.json["chunks"] as? [Any])?.isEmpty == true && other.json["faq"] == nil, "\(other.text)")
            }

            let changed = try await harness.request(.patch, "/api/v1/knowledge/documents/\(id)", ["body": "# Warranty\n\nOne year."], token: boss)
            #expect(changed.json["version"] as? Int == 2 && changed.json["chunks"] as? Int == 1)
            let gone = try await harness.request(.get, "/api/v1/knowledge/search?q=\(Self.query("退货"))", token: boss)
            #expect((gone.json["chunks"] as? [Any])?.isEmpty == true, "re-indexed with the change: \(gone.text)")
            let upload = try await harness.request(.post, "/api/v1/knowledge/documents?title=FAQ%20page", raw: "<h1>Hi</h1><p>Text</p>",
                                                   contentType: "text/html", token: boss)
            #expect(upload.status == .created && upload.json["format"] as? String == "html", "\(upload.text)")
            let markdown = try await harness.request(.post, "/api/v1/knowledge/documents?title=Care", raw: "# Washing\n\nCold water only.\n\n# Drying\n\nFlat, in the shade.",
                                                     contentType: "text/markdown", token: boss)
            #expect(markdown.status == .created && markdown.json["format"] as? String == "markdown" && markdown.json["chunks"] as? Int == 2, "\(markdown.text)")
            let plain = try await harness.request(.post, "/api/v1/knowledge/documents?title=Notes", raw: "Gift wrapping is free.\n\nAsk at checkout.",
                                                  contentType: "text/plain", token: boss)
            #expect(plain.status == .created && plain.json["format"] as? String == "text", "\(plain.text)")
            let washing = try await harness.request(.get, "/api/v1/knowledge/search?q=\(Self.query("cold water washing"))", token: boss)
            #expect((washing.json["chunks"] as? [[String: Any]])?.first?["heading"] as? String == "Washing", "an uploaded file is searched: \(washing.text)")
            // Every variant of a FAQ entry's question finds it: the English one too.
            let variant = try await harness.request(.get, "/api/v1/knowledge/search?q=\(Self.query("what are the opening hours"))", token: boss)
            #expect((variant.json["faq"] as? [String: Any])?["answersDirectly"] as? Bool == true, "\(variant.text)")
            let invalid = try await harness.request(.post, "/api/v1/knowledge/faqs", ["questions": [], "answer": ""], token: boss)
            #expect(Set((invalid.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }) == ["questions", "answer"])
            let agent = try await harness.token(email: "agent@acme.example")
            #expect(try await harness.request(.get, "/api/v1/knowledge/documents", token: agent).status == .forbidden)
            let audit = try await harness.sql("SELECT count(*)::text FROM audit_log WHERE action LIKE 'knowledge_document.%' OR action LIKE 'faq_entry.%'")
            #expect(audit == [["6"]])
        }
    }

    @Test func theBotAnswersFromFAQAndDocumentsAndSaysWhenItFindsNothing() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await BotLiveTests.setUp(harness, llm)
                _ = try await harness.request(.post, "/api/v1/knowledge/documents", ["title": "售后说明", "body": Self.returns], token: boss)
                _ = try await harness.request(.post, "/api/v1/knowledge/faqs", ["questions": ["营业时间是几点？"], "answer": "每天 9:00–21:00 营业。"], token: boss)
                let (visitor, _) = try await harness.visitorHello()

                let before = llm.requests.count
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "请问营业时间是几点"])
                let faq = try await visitor.nextMessage(from: "bot")
                #expect(faq["text"] as? String == "每天 9:00–21:00 营业。\n\n来源：营业时间是几点？", "\(faq)")
                #expect(llm.requests.count == before, "a FAQ answer needs no provider")

                try await visitor.send(["type": "send", "clientId": "v-2", "text": "签收后多久可以退货？[say:7 天内可以退货。]"])
                let answer = try await visitor.nextMessage(from: "bot")
                #expect(answer["text"] as? String == "7 天内可以退货。\n\n来源：售后说明", "\(answer)")
                let prompt = (llm.requests.last?.body["messages"] as? [[String: any Sendable]])?.first?["content"] as? String ?? ""
                #expect(prompt.contains("售后说明") && prompt.contains("7 天内可以无理由退货"), "retrieved knowledge goes into the prompt: \(prompt)")

                try await visitor.send(["type": "send", "clientId": "v-3", "text": "你们卖火箭吗"])
                let notFound = try await visitor.nextMessage(from: "bot")
                #expect((notFound["text"] as? String)?.hasPrefix("抱歉，我没有找到相关的信息") == true, "\(notFound)")
                try await visitor.send(["type": "send", "clientId": "v-4", "text": "火箭发动机呢"])
                let handoff = try await visitor.nextMessage(from: "system")
                #expect((handoff["text"] as? String)?.contains(#""reason":"no-answer""#) == true, "\(handoff)")
                await visitor.close()
            }
        }
    }

    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+=?"))) ?? text
    }
}

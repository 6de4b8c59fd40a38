import Foundation
import HummingbirdTesting
import Testing
@testable import App

/// `/api/v1/words`: rules created, listed, searched, changed and deleted with every change
/// audited; unique once folded; bad fields refused naming the field; the dry run's verdict.
@Suite struct WordsAPITests {
    @Test func rulesAreManagedAuditedAndUniqueOnceFolded() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let created = try await boss.post("/api/v1/words", ["pattern": "敏感词", "action": "mask", "category": "politics"])
            #expect(created.status == .created, "\(created.text)")
            let rule = try created.json()
            let id = try #require(rule["id"] as? String)
            #expect(rule["senders"] as? [String] == ["visitor", "agent", "bot"] && rule["enabled"] as? Bool == true)
            #expect(rule["exceptions"] as? [String] == [])

            let duplicate = try await boss.post("/api/v1/words", ["pattern": "敏 感 詞", "action": "block"])
            #expect(duplicate.status == .conflict, "the same word once folded: \(duplicate.text)")
            _ = try await boss.post("/api/v1/words", ["pattern": "spam", "action": "flag", "senders": ["visitor"]])
            let found = try await boss.get("/api/v1/words?q=polit")
            #expect((try found.json()["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
            #expect((try await boss.get("/api/v1/words").json()["items"] as? [[String: Any]])?.count == 2)

            let changed = try await boss.patch("/api/v1/words/\(id)", ["action": "block", "exceptions": ["敏感词典"]])
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(try changed.json()["action"] as? String == "block")
            #expect(try await boss.delete("/api/v1/words/\(id)").status == .noContent)
            #expect(try await boss.get("/api/v1/words/\(id)").status == .notFound)
            let actions = try await boss.auditActions()
            for action in ["word_rule.created", "word_rule.updated", "word_rule.deleted"] { #expect(actions.contains(action)) }
        }
    }

    @Test func badFieldsAreRefusedNamingTheField() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let cases: [([String: Any], String)] = [
                (["action": "mask"], "pattern"),
                (["pattern": "x"], "action"),
                (["pattern": "！！ ，", "action": "mask"], "pattern"),
                (["pattern": String(repeating: "字", count: 65), "action": "mask"], "pattern"),
                (["pattern": "字", "action": "erase"], "action"),
                (["pattern": "字", "action": "mask", "senders": []], "senders"),
                (["pattern": "字", "action": "mask", "senders": ["robot"]], "senders[0]"),
                (["pattern": "字", "action": "mask", "category": ""], "category"),
                (["pattern": "字词", "action": "mask", "exceptions": ["字"]], "exceptions[0]"),
                (["pattern": "字", "action": "mask", "colour": "red"], "colour"),
            ]
            for (body, field) in cases {
                let response = try await boss.post("/api/v1/words", body)
                #expect(response.status == .unprocessableContent, "\(field): \(response.text)")
                let errors = try response.json()["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["field"] as? String == field, "\(response.text)")
            }
            #expect((try await boss.get("/api/v1/words").json()["items"] as? [[String: Any]])?.isEmpty == true)
            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            #expect(try await agent.get("/api/v1/words").status == .forbidden)
        }
    }

    @Test func theDryRunSaysWhatWouldBeStored() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let mask = try #require(try await boss.post("/api/v1/words", ["pattern": "傻瓜", "action": "mask"]).json()["id"] as? String)
            _ = try await boss.post("/api/v1/words", ["pattern": "加微信", "action": "block", "senders": ["visitor"]])
            let masked = try await boss.post("/api/v1/words/test", ["text": "你这个傻*瓜", "sender": "agent"]).json()
            #expect(masked["action"] as? String == "mask")
            #expect(masked["text"] as? String == "你这个***")
            let match = try #require((masked["matches"] as? [[String: Any]])?.first)
            #expect((match["ruleId"] as? String)?.lowercased() == mask.lowercased())
            #expect(match["start"] as? Int == 3 && match["end"] as? Int == 6)
            let blocked = try await boss.post("/api/v1/words/test", ["text": "加 微 信 谢谢", "sender": "visitor"]).json()
            #expect(blocked["action"] as? String == "block" && blocked["text"] is NSNull)
            let clean = try await boss.post("/api/v1/words/test", ["text": "加 微 信 谢谢", "sender": "agent"]).json()
            #expect(clean["action"] as? String == "none" && clean["text"] as? String == "加 微 信 谢谢")
            #expect(try await boss.post("/api/v1/words/test", ["text": "x", "sender": "robot"]).status == .unprocessableContent)
        }
    }

    @Test func theRuleListPagesByItsCursorGivingEveryRuleOnceInCreationOrder() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            // One import: its rules share one creation time, so their order rests on the id.
            let imported = try await boss.send(.post, "/api/v1/words/import?action=flag", raw: (1...7).map { "spam\($0)" }.joined(separator: "\n"),
                                               contentType: "text/plain")
            #expect(try imported.json()["added"] as? Int == 7, "\(imported.text)")
            for pattern in ["scam1", "scam2"] {
                #expect(try await boss.post("/api/v1/words", ["pattern": pattern, "action": "mask"]).status == .created)
            }
            let everything = try #require(try await boss.get("/api/v1/words?limit=200").json()["items"] as? [[String: Any]])
            #expect(everything.count == 9)
            let ids = everything.compactMap { ($0["id"] as? String)?.lowercased() }
            #expect(Array(ids.prefix(7)) == ids.prefix(7).sorted(), "rules created together come in id order")
            #expect(everything.suffix(2).compactMap { $0["pattern"] as? String } == ["scam1", "scam2"], "later rules come after, in creation order")

            let pages = try await Self.pages(boss, "/api/v1/words?limit=4")
            #expect(pages.map(\.count) == [4, 4, 1], "the last page is the one without nextCursor")
            #expect(pages.flatMap { $0 } == ids, "every rule once, in order")
            let searched = try await Self.pages(boss, "/api/v1/words?q=spam&limit=5")
            #expect(searched.map(\.count) == [5, 2] && searched.flatMap { $0 } == Array(ids.prefix(7)), "a search pages the same way")
            for bad in ["limit=0", "limit=201", "cursor=nonsense"] {
                #expect(try await boss.get("/api/v1/words?\(bad)").status == .unprocessableContent, "\(bad)")
            }
        }
    }

    @Test func theFlagQueuePagesByItsCursorAndFiltersByConversation() async throws {
        try await RealtimeHarness.with { harness in
            let boss = try await harness.token(email: "boss@acme.example")
            #expect(try await harness.request(.post, "/api/v1/words", ["pattern": "退款", "action": "flag", "category": "refund"], token: boss).status == .created)
            let (first, _) = try await harness.visitorHello()
            let (second, _) = try await harness.visitorHello()
            // Interleaved, so that one conversation's flags are not a run of the queue.
            var conversations: [String] = []
            for (index, visitor) in [first, second, first, second, first].enumerated() {
                try await visitor.send(["type": "send", "clientId": "c-\(index)", "text": "我要退款 \(index)"])
                conversations.append(try #require(try await visitor.next("ack")["conversationId"] as? String).lowercased())
            }
            let firstConversation = conversations[0]
            let secondConversation = conversations[1]
            #expect(firstConversation != secondConversation && conversations == [firstConversation, secondConversation, firstConversation, secondConversation, firstConversation])

            let queue = try await harness.request(.get, "/api/v1/words/flags?limit=200", token: boss)
            let everything = try #require(queue.json["items"] as? [[String: Any]], "\(queue.text)")
            #expect(everything.compactMap { $0["text"] as? String } == (0..<5).map { "我要退款 \($0)" }, "oldest first")
            let ids = everything.compactMap { ($0["id"] as? String)?.lowercased() }
            let pages = try await Self.pages(harness, boss, "/api/v1/words/flags?limit=2")
            #expect(pages.map(\.count) == [2, 2, 1])
            #expect(pages.flatMap { $0 } == ids, "every flag once, in order")

            for (conversation, sent) in [(firstConversation, [0, 2, 4]), (secondConversation, [1, 3])] {
                let filtered = try #require(try await harness.request(.get, "/api/v1/words/flags?conversationId=\(conversation)", token: boss)
                    .json["items"] as? [[String: Any]])
                #expect(filtered.compactMap { $0["text"] as? String } == sent.map { "我要退款 \($0)" })
                #expect(filtered.allSatisfy { ($0["conversationId"] as? String)?.lowercased() == conversation })
                let paged = try await Self.pages(harness, boss, "/api/v1/words/flags?conversationId=\(conversation)&limit=2")
                #expect(paged.map(\.count) == (sent.count == 3 ? [2, 1] : [2]), "the filter holds across pages")
                #expect(paged.flatMap { $0 } == filtered.compactMap { ($0["id"] as? String)?.lowercased() })
            }
            let other = try await harness.request(.get, "/api/v1/words/flags?conversationId=\(UUID())", token: boss)
            #expect(other.status == .ok && (other.json["items"] as? [Any])?.isEmpty == true)
            let bad = try await harness.request(.get, "/api/v1/words/flags?conversationId=nope", token: boss)
            #expect(bad.status.code == 422 && (bad.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "conversationId", "\(bad.text)")
            await first.close()
            await second.close()
        }
    }

    /// The items' ids page by page, following `nextCursor` until a page has none.
    static func pages(_ session: APISession, _ path: String) async throws -> [[String]] {
        try await pages(path) { try await session.get($0).json() }
    }

    static func pages(_ harness: RealtimeHarness, _ token: String, _ path: String) async throws -> [[String]] {
        try await pages(path) { try await harness.request(.get, $0, token: token).json }
    }

    static func pages(_ path: String, _ get: (String) async throws -> [String: Any]) async throws -> [[String]] {
        var pages: [[String]] = []
        var cursor: String?
        repeat {
            let page = try await get(path + (cursor.map { "&cursor=\($0)" } ?? ""))
            let items = try #require(page["items"] as? [[String: Any]], "\(page)")
            pages.append(items.compactMap { ($0["id"] as? String)?.lowercased() })
            cursor = page["nextCursor"] as? String
        } while cursor != nil && pages.count < 20
        return pages
    }
}

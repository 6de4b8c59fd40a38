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
}

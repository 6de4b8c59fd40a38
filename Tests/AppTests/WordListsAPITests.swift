import Foundation
import HummingbirdTesting
import Testing
@testable import App

/// `/api/v1/words/import` and `/export`: lists in both formats, updates of words the tenant has,
/// invalid lines named by number (and nothing changed), one audit entry, and a round trip.
@Suite struct WordListsAPITests {
    @Test func aTextListAddsAndACSVListUpdatesByTheFoldedWord() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let text = "# banned words\n敏感词\n\n  赌博  \nspam\n"
            let imported = try await boss.send(.post, "/api/v1/words/import?action=block&category=imported", raw: text, contentType: "text/plain; charset=utf-8")
            #expect(imported.status == .ok, "\(imported.text)")
            let report = try imported.json()
            #expect(report["added"] as? Int == 3 && report["updated"] as? Int == 0 && report["invalid"] as? Int == 0)
            let rules = try #require(try await boss.get("/api/v1/words").json()["items"] as? [[String: Any]])
            #expect(Set(rules.compactMap { $0["pattern"] as? String }) == ["敏感词", "赌博", "spam"])
            #expect(rules.allSatisfy { $0["action"] as? String == "block" && $0["category"] as? String == "imported" })

            // 敏感詞 is 敏感词 once folded: updated. A quoted field keeps its comma.
            let csv = "pattern,action,category,senders\r\n敏感詞,mask,politics,visitor|agent\r\n\"hello, world\",flag,,\r\nspam,block,imported,visitor|agent|bot\r\n"
            let second = try await boss.send(.post, "/api/v1/words/import", raw: csv, contentType: "text/csv")
            #expect(second.status == .ok, "\(second.text)")
            let counts = try second.json()
            #expect(counts["added"] as? Int == 1 && counts["updated"] as? Int == 1 && counts["unchanged"] as? Int == 1, "\(second.text)")
            let after = try #require(try await boss.get("/api/v1/words?q=politics").json()["items"] as? [[String: Any]])
            #expect(after.first?["pattern"] as? String == "敏感詞" && after.first?["action"] as? String == "mask")
            #expect(after.first?["senders"] as? [String] == ["visitor", "agent"])
            let hello = try #require(try await boss.get("/api/v1/words?q=hello").json()["items"] as? [[String: Any]])
            #expect(hello.first?["pattern"] as? String == "hello, world" && hello.first?["category"] as? String == "default")
            let audit = try await boss.auditActions()
            #expect(audit.filter { $0 == "word_rule.imported" }.count == 2)
            #expect(!audit.contains("word_rule.created"), "an import is one entry, not one per rule")
        }
    }

    @Test func invalidLinesAreNumberedAndChangeNothingUnlessSkipped() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let csv = """
                pattern,action,category,senders
                好词,mask,,
                坏,erase,,
                "两行
                的词",mask,,
                ！！！,mask,,
                好 词,block,,
                ok,mask,,robots
                """
            let refused = try await boss.send(.post, "/api/v1/words/import", raw: csv, contentType: "text/csv")
            #expect(refused.status == .unprocessableContent, "\(refused.text)")
            let errors = try #require(try refused.json()["errors"] as? [[String: Any]])
            #expect(errors.compactMap { $0["field"] as? String } == ["line 3", "line 4", "line 6", "line 7", "line 8"], "\(refused.text)")
            #expect((errors[3]["message"] as? String)?.contains("line 2") == true, "a duplicate names the line it repeats")
            #expect((try await boss.get("/api/v1/words").json()["items"] as? [Any])?.isEmpty == true, "nothing was imported")

            let skipped = try await boss.send(.post, "/api/v1/words/import?skipInvalid=true", raw: csv, contentType: "text/csv")
            #expect(skipped.status == .ok)
            let report = try skipped.json()
            #expect(report["added"] as? Int == 1 && report["invalid"] as? Int == 5)
            #expect((report["invalidLines"] as? [[String: Any]])?.compactMap { $0["line"] as? Int } == [3, 4, 6, 7, 8])

            for (broken, line) in [("pattern\n好,mask\n\"坏,block\nok,mask\n", "line 3"), ("pattern\na\"b,mask\n", "line 2"),
                                   ("pattern\n\"ab\"c,mask\n", "line 2")] {
                let malformed = try await boss.send(.post, "/api/v1/words/import?skipInvalid=true", raw: broken, contentType: "text/csv")
                #expect(malformed.status == .unprocessableContent, "\(malformed.text)")
                #expect((try malformed.json()["errors"] as? [[String: Any]])?.first?["field"] as? String == line, "\(malformed.text)")
            }
            #expect((try await boss.get("/api/v1/words").json()["items"] as? [Any])?.count == 1, "a broken file changes nothing")
            #expect(try await boss.send(.post, "/api/v1/words/import", raw: "x", contentType: "application/json").status == .unsupportedMediaType)
            #expect(try await boss.send(.post, "/api/v1/words/import?action=erase", raw: "x", contentType: "text/plain").status == .unprocessableContent)
            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            #expect(try await agent.send(.post, "/api/v1/words/import", raw: "x", contentType: "text/plain").status == .forbidden)
        }
    }

    @Test func anExportImportsAgainUnchanged() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            _ = try await boss.post("/api/v1/words", ["pattern": "傻瓜", "action": "mask", "category": "insult, mild", "senders": ["visitor"],
                                                      "exceptions": ["傻瓜相机"], "enabled": false])
            _ = try await boss.post("/api/v1/words", ["pattern": "say \"cheese\"", "action": "flag"])
            let csv = try await boss.get("/api/v1/words/export?format=csv")
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"words.csv\"")
            #expect(csv.text.hasPrefix("pattern,action,category,senders,enabled,exceptions\r\n"))
            #expect(csv.text.contains("\"insult, mild\""), "\(csv.text)")
            let again = try await boss.send(.post, "/api/v1/words/import", raw: csv.text, contentType: "text/csv")
            #expect(try again.json()["unchanged"] as? Int == 2, "\(again.text)")
            let txt = try await boss.get("/api/v1/words/export?format=txt")
            #expect(txt.text == "傻瓜\nsay \"cheese\"\n")
            // A text list names no action: words the tenant has keep theirs (a block is never weakened).
            let plain = try await boss.send(.post, "/api/v1/words/import", raw: txt.text, contentType: "text/plain")
            #expect(try plain.json()["unchanged"] as? Int == 2, "\(plain.text)")
            let named = try await boss.send(.post, "/api/v1/words/import?action=block", raw: "傻瓜\n", contentType: "text/plain")
            #expect(try named.json()["updated"] as? Int == 1, "an action the import names applies to words the tenant has")
            #expect(try await boss.get("/api/v1/words/export?format=xml").status == .unprocessableContent)
        }
    }

    @Test func anImportIsOneAuditEntryCarryingItsCounts() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            #expect(try await boss.post("/api/v1/words", ["pattern": "spam", "action": "flag"]).status == .created)
            #expect(try await boss.post("/api/v1/words", ["pattern": "scam", "action": "mask"]).status == .created)
            let csv = "pattern,action\nspam,block\nscam,mask\n新词,mask\n另一个,flag\n第三个,mask\n坏,erase\n"
            let imported = try await boss.send(.post, "/api/v1/words/import?skipInvalid=true", raw: csv, contentType: "text/csv")
            #expect(imported.status == .ok, "\(imported.text)")
            let report = try imported.json()
            #expect(report["added"] as? Int == 3 && report["updated"] as? Int == 1 && report["unchanged"] as? Int == 1
                    && report["invalid"] as? Int == 1, "\(imported.text)")

            let entries = try #require(try await boss.get("/api/v1/audit?action=word_rule.imported").json()["items"] as? [[String: Any]])
            #expect(entries.count == 1, "one entry for the whole import")
            let changes = try #require(entries.first?["changes"] as? [String: [String: Any]], "\(entries)")
            #expect(changes.mapValues { $0["to"] as? String } == ["added": "3", "updated": "1", "unchanged": "1", "invalid": "1"])
            #expect((entries.first?["target"] as? [String: Any])?["type"] as? String == "word_rules")
            let actions = try await boss.auditActions()
            #expect(actions.filter { $0.hasPrefix("word_rule.") } == ["word_rule.imported", "word_rule.created", "word_rule.created"],
                    "the import wrote no entry per rule: \(actions)")
        }
    }
}

import Foundation
import Testing
@testable import Realtime
import Tenancy

/// Word lists read and written as files: comments and blank lines in text, CSV by a CSV parser
/// (quotes, commas and line breaks in fields, a header naming columns in any order, a BOM), and
/// lines numbered as an editor shows them.
@Suite struct WordListTests {
    @Test func aTextListSkipsBlankLinesAndCommentsAndKeepsLineNumbers() throws {
        let entries = try WordList.read("# header\r\n敏感词\r\n\r\n  spam \n#x\nlast", format: .text)
        #expect(entries.map(\.pattern) == ["敏感词", "spam", "last"])
        #expect(entries.map(\.line) == [2, 4, 6])
    }

    @Test func aCSVListIsParsedNotSplitOnCommas() throws {
        let csv = "\u{FEFF}senders,pattern,action\r\nvisitor,\"a, b\",mask\r\n,\"two\r\nlines\",flag\nagent,\"say \"\"hi\"\"\",block\n"
        let entries = try WordList.read(csv, format: .csv)
        #expect(entries.map(\.pattern) == ["a, b", "two\r\nlines", "say \"hi\""])
        #expect(entries.map(\.line) == [2, 3, 5], "a field spanning two lines moves the next row on")
        #expect(entries.map(\.senders) == ["visitor", nil, "agent"])
        #expect(entries.map(\.action) == ["mask", "flag", "block"])
        #expect(entries.allSatisfy { $0.category == nil })
    }

    @Test func brokenQuotingIsRefusedWithTheLineToFix() throws {
        let cases: [(String, Int)] = [
            ("a,b\n\"open,mask\nnext\n", 2),
            ("ok\r\nx\"y\r\n", 2),
            ("\"two\nlines\" ,mask\n", 2),
        ]
        for (text, line) in cases {
            #expect(throws: WordList.Malformed.self) { try WordList.read(text, format: .csv) }
            do { _ = try WordList.read(text, format: .csv) } catch let error as WordList.Malformed { #expect(error.line == line, "\(text)") }
        }
        #expect(try WordList.read("\u{FEFF}# list\nword\n", format: .text).map(\.pattern) == ["word"], "a byte-order mark is no rule")
    }

    @Test func withoutAHeaderColumnsArePositional() throws {
        let entries = try WordList.read("赌博,block,gambling,visitor|bot\n", format: .csv)
        #expect(entries == [WordList.Entry(line: 1, pattern: "赌博", action: "block", category: "gambling", senders: "visitor|bot")])
    }

    @Test func anExportReadsBackFieldForField() throws {
        let rules = [
            WordRule(pattern: "quote \" and, comma", action: .flag, category: "c,1", senders: [.agent], enabled: false, exceptions: ["x", "y"]),
            WordRule(pattern: "傻瓜", action: .mask),
        ]
        let csv = try WordList.write(rules, format: .csv)
        let entries = try WordList.read(csv, format: .csv)
        #expect(entries.map(\.pattern) == rules.map(\.pattern))
        #expect(entries[0].category == "c,1" && entries[0].senders == "agent" && entries[0].enabled == "false" && entries[0].exceptions == "x|y")
        #expect(entries[1].senders == "visitor|agent|bot" && entries[1].exceptions == nil)
        #expect(try WordList.write(rules, format: .text) == "quote \" and, comma\n傻瓜\n")
    }
}

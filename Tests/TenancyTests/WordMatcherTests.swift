import Foundation
import Testing
@testable import Tenancy

/// Sensitive words: folded matching that evasions do not escape, masks exact to the character,
/// English rules on whole words only, exceptions, and the strongest action winning.
@Suite struct WordMatcherTests {
    static func verdict(_ text: String, _ rules: [WordRule], sender: WordSender = .visitor) -> WordVerdict {
        WordMatcher(rules: rules).check(text, sender: sender)
    }

    static func masked(_ text: String, _ patterns: String...) -> String? {
        verdict(text, patterns.map { WordRule(pattern: $0, action: .mask) }).text
    }

    @Test func evasionsAreFoldedAway() {
        #expect(Self.masked("这是敏*感*词吧", "敏感词") == "这是*****吧", "separators between the characters are masked with them")
        #expect(Self.masked("ｓｅｘ and SEX", "sex") == "*** and ***", "full width and case")
        #expect(Self.masked("敏\u{200B}感", "敏感") == "***", "a zero-width space is skipped (and masked: it is a grapheme of its own)")
        #expect(Self.masked("我很快樂", "快乐") == "我很**", "traditional characters")
        #expect(Self.masked("加我⑧⑧八捌", "8888") == "加我****", "digit variants")
        #expect(Self.masked("𝐬𝐞𝐱", "sex") == "***", "styled letters beyond the basic plane")
        #expect(Self.masked("敏😀感", "敏感") == "***", "emoji between characters")
        #expect(Self.masked("敏\u{0301}感", "敏感") == "**", "a combining mark joins its grapheme")
        #expect(Self.masked("b.a.d boy", "bad") == "***** boy")
        #expect(Self.masked("b a d", "b.a.d") == "*****", "the pattern is folded the same way")
    }

    @Test func englishRulesMatchWholeWordsOnly() {
        #expect(Self.masked("first class", "ass") == "first class")
        #expect(Self.masked("you ass!", "ass") == "you ***!")
        #expect(Self.masked("a.s.s", "ass") == "*****")
        #expect(Self.masked("asses", "ass") == "asses")
        #expect(Self.masked("我是ass啊", "ass") == "我是***啊", "Chinese around an English word is a boundary")
        #expect(Self.masked("a\u{200B}ss", "ass") == "****", "an ignorable does not make a boundary")
        #expect(Self.masked("abc中文", "c中") == "abc中文", "a mixed rule checks its English edge")
        #expect(Self.masked("ab c中文", "c中") == "ab **文")
        #expect(Self.masked("中文中文", "文中") == "中**文", "Chinese rules match anywhere")
    }

    @Test func positionsCountScalarsOfTheOriginalEndExclusive() {
        let verdict = Self.verdict("a 敏*感 b", [WordRule(pattern: "敏感", action: .flag, category: "politics")])
        #expect(verdict.action == .flag)
        #expect(verdict.text == "a 敏*感 b", "a flag changes nothing")
        #expect(verdict.matches.map { [$0.start, $0.end] } == [[2, 5]])
        #expect(verdict.matches.first?.category == "politics")
        let emoji = Self.verdict("👍🏽敏感", [WordRule(pattern: "敏感", action: .flag)])
        #expect(emoji.matches.map { [$0.start, $0.end] } == [[2, 4]], "an emoji with its modifier is two scalars")
    }

    @Test func overlappingMatchesMergeAndTheStrongestActionWins() {
        #expect(Self.masked("敏感词", "敏感", "感词") == "***")
        let rules = [WordRule(pattern: "广告", action: .flag), WordRule(pattern: "加微信", action: .block), WordRule(pattern: "傻", action: .mask)]
        let blocked = Self.verdict("广告：加 微 信，傻", rules)
        #expect(blocked.action == .block)
        #expect(blocked.text == nil)
        #expect(blocked.matches.map(\.action) == [.flag, .block, .mask])
        let masked = Self.verdict("广告，傻", rules)
        #expect(masked.action == .mask)
        #expect(masked.text == "广告，*", "flagged words stay, masked ones go")
    }

    @Test func exceptionsAllowLongerWords() {
        let rules = [WordRule(pattern: "傻", action: .mask, exceptions: ["傻瓜相机"])]
        #expect(Self.verdict("买了个傻瓜相机", rules).matches.isEmpty)
        #expect(Self.verdict("傻瓜相机，你傻", rules).text == "傻瓜相机，你*")
    }

    @Test func rulesApplyToTheirSendersAndOnlyWhenEnabled() {
        let rules = [WordRule(pattern: "退款", action: .block, senders: [.agent]), WordRule(pattern: "垃圾", action: .block, enabled: false)]
        #expect(Self.verdict("我要退款", rules, sender: .visitor).action == nil)
        #expect(Self.verdict("我要退款", rules, sender: .agent).action == .block)
        #expect(Self.verdict("垃圾", rules).action == nil)
    }

    @Test func textWithoutMatchesComesBackUnchanged() {
        let rules = (0..<1_000).map { WordRule(pattern: "词\($0)", action: .mask) }
        let separators = String(repeating: "！?。 、…", count: 700)
        #expect(Self.verdict(separators, rules).text == separators)
        #expect(Self.verdict("", rules).action == nil)
        let text = "Hello 你好 👋🏽 e\u{0301}"
        #expect(Self.verdict(text, rules).text == text)
    }

    @Test func patternsWithTheSameKeyAreTheSameRule() {
        let normalizer = WordNormalizer.standard
        #expect(normalizer.keyText(of: "敏 感") == normalizer.keyText(of: "敏感"))
        #expect(normalizer.keyText(of: "ＳＥＸ") == "sex")
        #expect(normalizer.keyText(of: "樂") == "乐")
        #expect(normalizer.keyText(of: "!!!").isEmpty, "nothing to match: refused by validation")
    }
}

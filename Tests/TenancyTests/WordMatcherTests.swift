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

    @Test func circledLettersAndDigitsFoldToTheirPlainForms() {
        #expect(Self.masked("ⓢⓔⓧ", "sex") == "***", "circled small letters")
        #expect(Self.masked("ⓈⒺⓍ!", "sex") == "***!", "circled capital letters, case folded")
        #expect(Self.masked("🅂🄴🅇 ok", "sex") == "*** ok", "squared letters beyond the basic plane")
        #expect(Self.masked("ⓒⓛⓐⓢⓢ", "ass") == "ⓒⓛⓐⓢⓢ", "circled letters are letters of a word, not boundaries")
        #expect(WordNormalizer.standard.keyText(of: "ⓢⓔⓧ") == "sex", "the pattern is folded the same way")
        #expect(Self.masked("加我⓼⓼", "88") == "加我**", "double-circled digits")
        #expect(Self.masked("❽➑⓿", "880") == "***", "negative-circled digits")
        #expect(Self.masked("⑻⒏", "88") == "**", "parenthesised digits and digits with a full stop")
    }

    @Test func halfWidthFormsFoldToTheirFullWidthLetters() {
        #expect(Self.masked("去ｶﾗｵｹ吧", "カラオケ") == "去****吧", "half-width katakana")
        #expect(Self.masked("カラオケ", "ｶﾗｵｹ") == "****", "the pattern is folded the same way")
        #expect(Self.masked("야 ﾵﾲ", "ㅅㅂ") == "야 **", "half-width Hangul letters")
        #expect(WordNormalizer.standard.keyText(of: "ﾵﾲ") == WordNormalizer.standard.keyText(of: "ㅅㅂ"))
        // Half width writes a sound mark as a character of its own: `ｶﾞｽ` is `ガス`, not `カス`.
        #expect(Self.masked("ｶﾞｽ漏れ", "ガス") == "**漏れ", "the voiced mark joins its kana (and its grapheme)")
        #expect(Self.masked("ｶﾞｽ漏れ", "カス") == "ｶﾞｽ漏れ", "a voiced kana is not its plain one")
        #expect(Self.masked("ガス", "ｶﾞｽ") == "**", "the pattern is folded the same way")
        #expect(Self.masked("ﾊﾟﾝ", "パン") == "**", "semi-voiced")
        #expect(Self.masked("すごいがっこう", "がっこう") == "すごい****", "hiragana too")
    }

    @Test func formatCharactersBetweenARulesCharactersAreSkipped() {
        // Masks count graphemes: a zero-width (non-)joiner joins the character before it; a word
        // joiner, a byte-order mark and a soft hyphen are graphemes of their own.
        #expect(Self.masked("敏\u{200C}感", "敏感") == "**", "zero-width non-joiner")
        #expect(Self.masked("敏\u{200D}感", "敏感") == "**", "zero-width joiner")
        #expect(Self.masked("敏\u{2060}感", "敏感") == "***", "word joiner")
        #expect(Self.masked("敏\u{FEFF}感", "敏感") == "***", "zero-width no-break space (byte-order mark)")
        #expect(Self.masked("s\u{00AD}e\u{00AD}x!", "sex") == "*****!", "soft hyphens")
        #expect(Self.masked("clas\u{00AD}s", "ass") == "clas\u{00AD}s", "a soft hyphen does not make a word boundary")
        let verdict = Self.verdict("x 敏\u{2060}\u{200D}感", [WordRule(pattern: "敏感", action: .flag)])
        #expect(verdict.matches.map { [$0.start, $0.end] } == [[2, 6]], "offsets count the format characters")
        #expect(WordNormalizer.standard.keyText(of: "敏\u{FEFF}\u{00AD}感") == "敏感")
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

    /// The matcher against a reference that folds the text into a list and compares every rule
    /// at every position (whole-word edges checked the same way), on random texts from a small
    /// alphabet so that matches are many: across word gaps, inside words, overlapping, next to
    /// graphemes of several scalars.
    @Test func theMatcherFindsWhatAFoldAndCompareReferenceFinds() {
        var random = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "b", "B", "ｂ", "c", "敏", "感", "樂", "乐", "8", "⑧", " ", ".", "*", "\u{200B}", "\u{0301}", "👍🏽", "👨‍👩‍👧"]
        let pieces = ["a", "b", "c", "ab", "ba", "abc", "bcb", "敏感", "感敏", "乐", "a敏", "敏a", "8b", "bb8"]
        var compared = 0
        for round in 0..<300 {
            let rules = (0..<Int.random(in: 1...6, using: &random)).map { index in
                WordRule(pattern: pieces.randomElement(using: &random)!, action: [.mask, .flag][index % 2],
                         exceptions: index == 0 && round.isMultiple(of: 3) ? ["abcab"] : [])
            }
            let unique = Dictionary(rules.map { (WordNormalizer.standard.keyText(of: $0.pattern), $0) }, uniquingKeysWith: { first, _ in first }).map(\.value)
            let text = (0..<Int.random(in: 0...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
            let verdict = WordMatcher(rules: unique).check(text, sender: .visitor)
            let expected = Self.referenceMatches(text, unique)
            let found = verdict.matches.map { "\($0.ruleID) \($0.start) \($0.end)" }.sorted()
            compared += expected.count
            #expect(found == expected, "text \(text.unicodeScalars.map { String($0.value, radix: 16) }) rules \(unique.map(\.pattern))")
            if verdict.action == .mask {
                #expect(verdict.text == Self.referenceMask(text, verdict.matches.filter { $0.action == .mask }), "mask of \(text)")
            }
        }
        #expect(compared > 200, "the random texts hold enough matches to compare (usually 300 or more: 200 leaves room for chance)")
    }

    /// Every (rule, start, end) by brute force over the folded text.
    static func referenceMatches(_ text: String, _ rules: [WordRule]) -> [String] {
        let normalizer = WordNormalizer.standard
        var folded: [(value: UInt32, origin: Int, gapBefore: Bool)] = []
        var gap = false
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            var parts: [UInt32?] = []
            normalizer.foldedScalars(String(scalar)) { parts.append($0?.value) }
            for part in parts {
                if let value = part { folded.append((value, offset, gap)); gap = false } else { gap = true }
            }
        }
        func isWord(_ at: Int) -> Bool { WordNormalizer.isWordScalar(folded[at].value) }
        var found: [(rule: Int, start: Int, end: Int, exception: Bool)] = []
        for (index, rule) in rules.enumerated() {
            for (pattern, exception) in [(rule.pattern, false)] + rule.exceptions.map({ ($0, true) }) {
                let key = normalizer.key(of: pattern)
                guard !key.isEmpty, key.count <= folded.count else { continue }
                for start in 0...(folded.count - key.count) where folded[start..<(start + key.count)].map(\.value) == key {
                    let end = start + key.count
                    if WordNormalizer.isWordScalar(key[0]), start > 0, !folded[start].gapBefore, isWord(start - 1) { continue }
                    if WordNormalizer.isWordScalar(key[key.count - 1]), end < folded.count, !folded[end].gapBefore, isWord(end) { continue }
                    found.append((index, folded[start].origin, folded[end - 1].origin + 1, exception))
                }
            }
        }
        return found.filter { match in
            !match.exception && !found.contains { $0.exception && $0.rule == match.rule && $0.start <= match.start && match.end <= $0.end }
        }.map { "\(rules[$0.rule].id) \($0.start) \($0.end)" }.sorted()
    }

    /// The mask grapheme by grapheme over the whole text.
    static func referenceMask(_ text: String, _ matches: [WordMatch]) -> String {
        var masked = ""
        var offset = 0
        for character in text {
            let range = offset..<(offset + character.unicodeScalars.count)
            offset = range.upperBound
            masked.append(matches.contains { $0.start < range.upperBound && range.lowerBound < $0.end } ? "*" : String(character))
        }
        return masked
    }
}

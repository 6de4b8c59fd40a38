import ArgumentParser
import Foundation
import Tenancy

/// Sensitive-word matching in this process, on one core (no server): throughput on Chinese and
/// English text at 1,000, 10,000 and 100,000 rules, normalisation included; the automaton's
/// build time and size; the cost one 200-byte message adds; and a naive scan (each rule's
/// folded key looked for with `range(of:)` in the folded text) as the baseline, in the same run.
struct WordsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "words", abstract: "Sensitive-word matching: MB/s, build time, size, per-message cost.")

    @Option(help: "Megabytes of text per throughput measurement.")
    var megabytes = 4

    @Flag(help: "Leave out the naive scan (for profiling the matcher alone).")
    var skipNaive = false

    @Option(help: "Rule counts to measure, comma-separated (for profiling one size).")
    var ruleCounts = "1000,10000,100000"

    func run() throws {
        var random = SystemRandomNumberGenerator()
        let chinese = Self.chineseText(bytes: megabytes << 20, using: &random)
        let english = Self.englishText(bytes: megabytes << 20, using: &random)
        print("words: \(megabytes) MB of Chinese and of English text per measurement, best of 3, one core")
        print("| rules | build | automaton | Chinese MB/s | English MB/s | naive Chinese MB/s | naive English MB/s |")
        print("|---|---|---|---|---|---|---|")
        for count in ruleCounts.split(separator: ",").compactMap({ Int($0) }) {
            let rules = Self.rules(count, using: &random)
            let started = ContinuousClock.now
            let matcher = WordMatcher(rules: rules)
            let build = ContinuousClock.now - started
            let chineseRate = Self.rate(bytes: chinese.utf8.count, runs: skipNaive ? 1 : 3) { _ = matcher.check(chinese, sender: .visitor) }
            let englishRate = Self.rate(bytes: english.utf8.count, runs: skipNaive ? 10 : 3) { _ = matcher.check(english, sender: .visitor) }
            var naive = ("–", "–")
            if count <= 10_000, !skipNaive {
                let keys = rules.map { WordNormalizer.standard.keyText(of: $0.pattern) }
                let slice = 256 << 10  // the naive scan is slow: a quarter megabyte is enough to time it
                let chineseSample = String(chinese.unicodeScalars.prefix(slice / 3))
                let englishSample = String(english.prefix(slice))
                naive.0 = String(format: "%.3g", Self.rate(bytes: chineseSample.utf8.count, runs: 1) { Self.naiveScan(chineseSample, keys) })
                naive.1 = String(format: "%.3g", Self.rate(bytes: englishSample.utf8.count, runs: 1) { Self.naiveScan(englishSample, keys) })
            }
            let size = matcher.size
            let found = (matcher.check(chinese, sender: .visitor).matches.count, matcher.check(english, sender: .visitor).matches.count)
            print("  \(count) rules: \(found.0) matches in the Chinese text, \(found.1) in the English")
            print(String(format: "| %d | %.0f ms | %.1f MB, %d states | %.1f | %.1f | %@ | %@ |", count, build.milliseconds,
                         Double(size.bytes) / 1_048_576, size.states, chineseRate, englishRate, naive.0, naive.1))
        }
        let rules = Self.rules(100_000, using: &random)
        let matcher = WordMatcher(rules: rules)
        var latencies: [Double] = []
        // 67 CJK characters each, about 200 bytes, cut from the text in one walk.
        var messages: [String] = []
        var scalars = chinese.unicodeScalars.makeIterator()
        while messages.count < 10_000, let first = scalars.next() {
            var message = String.UnicodeScalarView([first])
            while message.count < 67, let next = scalars.next() { message.append(next) }
            messages.append(String(message))
        }
        for message in messages {
            let started = ContinuousClock.now
            _ = matcher.check(message, sender: .visitor)
            latencies.append((ContinuousClock.now - started).milliseconds * 1000)
        }
        latencies.sort()
        print(String(format: "one 200-byte message at 100,000 rules: p50 %.1f µs, p99 %.1f µs (10,000 messages)",
                     latencies[latencies.count / 2], latencies[latencies.count * 99 / 100]))
    }

    static func rate(bytes: Int, runs: Int = 3, _ work: () -> Void) -> Double {
        var best = Duration.seconds(1_000)
        for _ in 0..<runs {
            let started = ContinuousClock.now
            work()
            best = min(best, ContinuousClock.now - started)
        }
        return Double(bytes) / 1_048_576 / (best.milliseconds / 1000)
    }

    /// What a matcher without an automaton would do: fold once, then look for every rule.
    static func naiveScan(_ text: String, _ keys: [String]) {
        let folded = WordNormalizer.standard.keyText(of: text)
        var found = 0
        for key in keys where folded.range(of: key) != nil { found += 1 }
        precondition(found >= 0)
    }

    static func rules(_ count: Int, using random: inout SystemRandomNumberGenerator) -> [WordRule] {
        (0..<count).map { index in
            let pattern = index.isMultiple(of: 2)
                ? String(String.UnicodeScalarView((0..<Int.random(in: 2...4, using: &random)).map { _ in Unicode.Scalar(UInt32.random(in: 0x4E00...0x9FA5, using: &random))! }))
                : String((0..<Int.random(in: 4...8, using: &random)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &random))) })
            return WordRule(pattern: pattern, action: [.block, .mask, .flag][index % 3])
        }
    }

    static func chineseText(bytes: Int, using random: inout SystemRandomNumberGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        let punctuation: [Unicode.Scalar] = ["，", "。", "！", " "]
        for index in 0..<(bytes / 3) {
            scalars.append(index % 17 == 16 ? punctuation[index % 4] : Unicode.Scalar(UInt32.random(in: 0x4E00...0x9FA5, using: &random))!)
        }
        return String(scalars)
    }

    /// Words drawn from a vocabulary of 2,000, as real text repeats its words.
    static func englishText(bytes: Int, using random: inout SystemRandomNumberGenerator) -> String {
        let vocabulary = (0..<2_000).map { _ in
            String((0..<Int.random(in: 2...9, using: &random)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &random))) })
        }
        var text = ""
        text.reserveCapacity(bytes)
        while text.utf8.count < bytes {
            text.append(vocabulary.randomElement(using: &random)!)
            text.append(" ")
        }
        return text
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

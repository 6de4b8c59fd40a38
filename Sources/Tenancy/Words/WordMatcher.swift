import Foundation

/// What a sensitive-word rule does to a message that contains it.
public enum WordAction: String, Sendable, Codable, CaseIterable, Comparable {
    /// Stored and delivered as written, and listed for review.
    case flag
    /// Stored and delivered with the match's characters replaced by `*`.
    case mask
    /// Refused: nothing is stored or delivered.
    case block

    private var strength: Int {
        switch self {
        case .flag: 1
        case .mask: 2
        case .block: 3
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.strength < rhs.strength }
}

/// Who wrote a message, as rules select it.
public enum WordSender: String, Sendable, Codable, CaseIterable {
    case visitor, agent, bot
}

/// One of a tenant's sensitive-word rules.
public struct WordRule: Sendable, Equatable {
    public var id: UUID
    /// Literal text; matched folded (`WordNormalizer`), separators between its characters skipped.
    public var pattern: String
    public var action: WordAction
    public var category: String
    public var senders: Set<WordSender>
    public var enabled: Bool
    /// Longer words containing the pattern that are fine (a brand name, say).
    public var exceptions: [String]

    public init(id: UUID = UUID(), pattern: String, action: WordAction, category: String = "default",
                senders: Set<WordSender> = Set(WordSender.allCases), enabled: Bool = true, exceptions: [String] = []) {
        self.id = id
        self.pattern = pattern
        self.action = action
        self.category = category
        self.senders = senders
        self.enabled = enabled
        self.exceptions = exceptions
    }
}

/// One rule's match in a text: `start` and `end` count Unicode scalars of the original text,
/// `end` exclusive, separators inside the match included.
public struct WordMatch: Sendable, Equatable {
    public let ruleID: UUID
    public let category: String
    public let action: WordAction
    public let start: Int
    public let end: Int
}

/// What the rules make of a text.
public struct WordVerdict: Sendable, Equatable {
    /// The strongest action among the matches; nil when nothing matched.
    public let action: WordAction?
    /// The text as it would be stored (masked where a `mask` rule matched); nil when blocked.
    public let text: String?
    public let matches: [WordMatch]

    public init(action: WordAction?, text: String?, matches: [WordMatch]) {
        self.action = action
        self.text = text
        self.matches = matches
    }

    /// Nothing matched: `text` goes through as written.
    public static func clean(_ text: String) -> WordVerdict { WordVerdict(action: nil, text: text, matches: []) }
}

/// A tenant's enabled rules compiled into a matcher: built once per rule change (off the event
/// loop, it takes a while for many rules), then used by any number of messages at once.
///
/// Patterns that may match anywhere (Chinese and the rest) are one Aho–Corasick automaton.
/// Whole-word patterns (starting with a letter or digit of an alphabetic script) can only begin
/// where a word does, so they are a trie walked from each word start instead: English text then
/// costs a trie step or two a character rather than a walk down failure links at every letter.
public final class WordMatcher: Sendable {
    private enum Tag {
        case rule(Int)
        case exception(Int)
    }

    private let rules: [WordRule]
    /// Patterns that match anywhere.
    private let automaton: WordAutomaton
    /// Whole-word patterns, walked from word starts.
    private let words: WordAutomaton
    /// Per automaton pattern: the rule it is, or the rule it is an exception of.
    private let tags: [Tag]
    private let normalizer: WordNormalizer
    /// ASCII folded and coded for both tables at once: most English text never needs the
    /// normalizer's or the automata's own tables.
    private let ascii: [Scanner.ASCII]

    /// The longest pattern, in folded characters (spaces and punctuation left out).
    public static let maximumPatternLength = WordAutomaton.maximumLength

    public init(rules: [WordRule], normalizer: WordNormalizer = .standard) {
        let enabled = rules.filter(\.enabled)
        var anywhere: [(key: [UInt32], tag: Int32)] = []
        var wholeWords: [(key: [UInt32], tag: Int32)] = []
        var tags: [Tag] = []
        func add(_ pattern: String, as tag: Tag) {
            let key = normalizer.key(of: pattern)
            if let first = key.first, WordNormalizer.isWordScalar(first) {
                wholeWords.append((key, Int32(tags.count)))
            } else {
                anywhere.append((key, Int32(tags.count)))
            }
            tags.append(tag)
        }
        for (index, rule) in enabled.enumerated() {
            add(rule.pattern, as: .rule(index))
            for exception in rule.exceptions { add(exception, as: .exception(index)) }
        }
        self.rules = enabled
        self.tags = tags
        self.normalizer = normalizer
        automaton = WordAutomaton(anywhere)
        words = WordAutomaton(wholeWords, failureLinks: false)
        let (anywhereProbe, wordProbe) = (automaton.probe, words.probe)
        ascii = (0..<UInt32(0x80)).map { byte in
            switch normalizer.fold(byte) {
            case .scalar(let value): Scanner.ASCII(value: value, codes: (anywhereProbe.code(value), wordProbe.code(value)))
            case .ignored: Scanner.ASCII(value: Scanner.ASCII.ignored, codes: (0, 0))
            // ASCII folds to at most one scalar (case); anything else is a separator.
            case .separator, .expansion: Scanner.ASCII(value: Scanner.ASCII.separator, codes: (0, 0))
            }
        }
    }

    /// How many states the automaton and the word trie have, and the bytes their tables take.
    public var size: (states: Int, bytes: Int) {
        (automaton.stateCount + words.stateCount, automaton.footprint + words.footprint)
    }

    /// What the rules for `sender` make of `text`.
    public func check(_ text: String, sender: WordSender) -> WordVerdict {
        var found: [(tag: Int, start: Int, end: Int)] = []
        scan(text) { tag, start, end in found.append((tag, start, end)) }
        return verdict(found, in: text, sender: sender)
    }

    /// For text still being written (a streamed answer): how many of its scalars are settled —
    /// no match can still begin, end or change among them, whatever follows — and the verdict
    /// on those. A match that may still grow, or a whole word that may go on, is left unsettled.
    public func checkSettled(_ text: String, sender: WordSender) -> (verdict: WordVerdict, settled: Int) {
        var found: [(tag: Int, start: Int, end: Int)] = []
        let reach = scan(text) { tag, start, end in found.append((tag, start, end)) }
        var settled = reach
        for match in found where match.end > reach { settled = min(settled, match.start) }
        let prefix = String(String.UnicodeScalarView(text.unicodeScalars.prefix(settled)))
        return (verdict(found.filter { $0.end <= settled }, in: prefix, sender: sender), settled)
    }

    private func verdict(_ found: [(tag: Int, start: Int, end: Int)], in text: String, sender: WordSender) -> WordVerdict {
        if found.isEmpty { return WordVerdict(action: nil, text: text, matches: []) }

        var allowed: [Int: [(start: Int, end: Int)]] = [:]
        for match in found {
            if case .exception(let rule) = tags[match.tag] { allowed[rule, default: []].append((match.start, match.end)) }
        }
        var matches: [WordMatch] = []
        for match in found {
            guard case .rule(let index) = tags[match.tag] else { continue }
            let rule = rules[index]
            guard rule.senders.contains(sender) else { continue }
            if allowed[index]?.contains(where: { $0.start <= match.start && match.end <= $0.end }) == true { continue }
            matches.append(WordMatch(ruleID: rule.id, category: rule.category, action: rule.action, start: match.start, end: match.end))
        }
        matches.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        guard let action = matches.map(\.action).max() else { return WordVerdict(action: nil, text: text, matches: []) }
        switch action {
        case .block: return WordVerdict(action: .block, text: nil, matches: matches)
        case .flag: return WordVerdict(action: .flag, text: text, matches: matches)
        case .mask: return WordVerdict(action: .mask, text: Self.mask(text, matches.filter { $0.action == .mask }), matches: matches)
        }
    }

    /// Reads `text` once, folding as it goes, and reports every pattern found as (tag, start,
    /// end) in scalars of `text`. English edges are checked against their neighbours: an edge
    /// letter next to another letter (with nothing but ignorables between) is inside a word.
    /// - Returns: where a match still in progress at the end began at the earliest (in scalars of
    ///   `text`): as many folded characters back as the automaton's final state is deep, or the
    ///   start of the oldest walk still alive in the word trie. Also a complete match at the very
    ///   end counts, as a longer pattern or a word going on may follow.
    @discardableResult
    func scan(_ text: String, _ report: (Int, Int, Int) -> Void) -> Int {
        var text = text
        // Everything the loop touches is local to the innermost closure, so it stays in registers.
        return text.withUTF8 { bytes in
            ascii.withUnsafeBufferPointer { ascii in
                withUnsafeTemporaryAllocation(of: Scanner.Slot.self, capacity: Scanner.ringSize) { ring in
                    withUnsafeTemporaryAllocation(of: Scanner.Walk.self, capacity: Scanner.walksSize) { walks in
                        var scanner = Scanner(ring: ring, walks: walks, automaton: automaton, words: words)
                        var offset = 0
                        var at = 0
                        // UTF-8 decoded by hand, ASCII through one small table: the scalar view's
                        // iterator and the general tables cost as much again as the rest of a step.
                        while at < bytes.count {
                            if bytes[at] < 0x80 {
                                let entry = ascii[Int(bytes[at])]
                                at &+= 1
                                switch entry.value {
                                case Scanner.ASCII.separator: scanner.separated = true
                                case Scanner.ASCII.ignored: break
                                default: scanner.read(entry.value, codes: entry.codes, at: offset, report)
                                }
                            } else {
                                let (value, length) = Self.decode(bytes, at)
                                at &+= length
                                switch normalizer.fold(value) {
                                case .ignored: break
                                case .separator: scanner.separated = true
                                case .scalar(let value): scanner.read(value, at: offset, report)
                                case .expansion(let index): for value in normalizer.expansions[index] { scanner.read(value, at: offset, report) }
                                }
                            }
                            offset &+= 1
                        }
                        for match in scanner.waiting { report(match.tag, match.start, match.end) }
                        var earliest = scanner.position - Int(scanner.probe.depth[Int(scanner.state)])
                        for walk in 0..<scanner.walkCount { earliest = min(earliest, Int(walks[walk].start)) }
                        if earliest == scanner.position { return offset }
                        return earliest <= 0 ? 0 : Int(ring[earliest & (Scanner.ringSize - 1)].origin)
                    }
                }
            }
        }
    }

    /// The scalar that starts at `at` in well-formed UTF-8 (a Swift string's), and its length.
    @inline(__always)
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[at])
        if lead < 0x80 { return (lead, 1) }
        if lead < 0xE0 { return ((lead & 0x1F) << 6 | UInt32(bytes[at + 1] & 0x3F), 2) }
        if lead < 0xF0 { return ((lead & 0x0F) << 12 | UInt32(bytes[at + 1] & 0x3F) << 6 | UInt32(bytes[at + 2] & 0x3F), 3) }
        return ((lead & 0x07) << 18 | UInt32(bytes[at + 1] & 0x3F) << 12 | UInt32(bytes[at + 2] & 0x3F) << 6 | UInt32(bytes[at + 3] & 0x3F), 4)
    }

    /// `text` with every grapheme that holds a scalar of a match replaced by one `*`. Only the
    /// stretches around matches are read as graphemes (slow); the rest is copied as it is.
    static func mask(_ text: String, _ matches: [WordMatch]) -> String {
        var ranges: [(start: Int, end: Int)] = []
        for match in matches.sorted(by: { $0.start < $1.start }) {
            if let last = ranges.last, match.start <= last.end {
                ranges[ranges.count - 1].end = max(last.end, match.end)
            } else {
                ranges.append((match.start, match.end))
            }
        }
        let scalars = text.unicodeScalars
        var masked = ""
        masked.reserveCapacity(text.utf8.count)
        var copied = text.startIndex
        var index = scalars.startIndex
        var offset = 0
        func advance(to target: Int) {
            while offset < target, index < scalars.endIndex {
                index = scalars.index(after: index)
                offset += 1
            }
        }
        for range in ranges {
            advance(to: range.start)
            // Out to the grapheme boundaries around the match: the grapheme holding its first
            // scalar may begin earlier, and the one holding its last may end later.
            var lower = index
            while lower > copied, lower.samePosition(in: text) == nil { lower = scalars.index(before: lower) }
            lower = max(lower, copied)
            advance(to: range.end)
            var upper = index
            while upper < scalars.endIndex, upper.samePosition(in: text) == nil { upper = scalars.index(after: upper) }
            guard upper > lower else { continue }
            masked.append(contentsOf: text[copied..<lower])
            masked.append(String(repeating: "*", count: text[lower..<upper].count))
            copied = upper
        }
        masked.append(contentsOf: text[copied...])
        return masked
    }
}

/// The state of one scan: the automaton's state, the word trie's walks, and the last positions
/// read (a ring on the stack; a match's start is at most `WordAutomaton.maximumLength` back).
private struct Scanner {
    // Offsets and positions are Int32 and wrap unchecked: texts are far shorter than 2^31 scalars
    // (a message is at most a few kilobytes) and the checks cost a tenth of the scan.
    struct Slot {
        /// The original scalar offset.
        var origin: Int32
        /// A separator came before it.
        var gapBefore: Bool
        /// It belongs to an alphabetic word.
        var alphabetic: Bool
    }

    /// A walk down the word trie from a word start (a position read).
    struct Walk {
        var state: Int32
        var start: Int32
    }

    /// An ASCII byte folded, with its codes in the automaton and the word trie.
    struct ASCII {
        static let separator = UInt32.max
        static let ignored = UInt32.max - 1
        /// The folded scalar, or `separator` or `ignored`.
        let value: UInt32
        let codes: (anywhere: Int32, word: Int32)
    }

    static let ringSize = 128
    /// A walk advances one state a character and no pattern is deeper than the longest, so no
    /// more than that many are alive at once.
    static let walksSize = WordAutomaton.maximumLength + 1

    let ring: UnsafeMutableBufferPointer<Slot>
    let walks: UnsafeMutableBufferPointer<Walk>
    let automaton: WordAutomaton
    let probe: WordAutomaton.Probe
    let words: WordAutomaton
    let wordProbe: WordAutomaton.Probe
    var state = WordAutomaton.root
    var walkCount = 0
    var position = 0
    var separated = false
    /// Matches whose last character is a letter wait for the next one to know whether a word
    /// goes on after them.
    var waiting: [(tag: Int, start: Int, end: Int)] = []

    init(ring: UnsafeMutableBufferPointer<Slot>, walks: UnsafeMutableBufferPointer<Walk>, automaton: WordAutomaton, words: WordAutomaton) {
        self.ring = ring
        self.walks = walks
        self.automaton = automaton
        self.words = words
        probe = automaton.probe
        wordProbe = words.probe
    }

    @inline(__always)
    mutating func read(_ value: UInt32, at offset: Int, _ report: (Int, Int, Int) -> Void) {
        read(value, codes: (probe.code(value), wordProbe.code(value)), at: offset, report)
    }

    /// Reads the folded scalar `value`, whose codes in the automaton and the word trie are `codes`.
    @inline(__always)
    mutating func read(_ value: UInt32, codes: (anywhere: Int32, word: Int32), at offset: Int, _ report: (Int, Int, Int) -> Void) {
        let mask = Self.ringSize - 1
        let isWord = WordNormalizer.isWordScalar(value)
        let startsWord = isWord && (position == 0 || separated || !ring[(position - 1) & mask].alphabetic)
        ring[position & mask] = Slot(origin: Int32(truncatingIfNeeded: offset), gapBefore: separated, alphabetic: isWord)
        if !waiting.isEmpty {
            if separated || !isWord { for match in waiting { report(match.tag, match.start, match.end) } }
            waiting.removeAll(keepingCapacity: true)
        }
        separated = false

        if codes.anywhere == 0 {
            // In no pattern of the automaton (English letters, mostly): back to the root, which
            // reports nothing.
            state = WordAutomaton.root
        } else {
            state = probe.step(state, code: codes.anywhere)
            var outputState = probe.firstOutputState(state)
            while outputState >= 0 {
                found(outputState, in: automaton, probe, at: offset, report)
                outputState = probe.outputLink[Int(outputState)]
            }
        }

        let code = codes.word
        var alive = 0
        if code != 0 {
            for index in 0..<walkCount {
                let next = wordProbe.child(walks[index].state, code)
                guard next >= 0 else { continue }
                walks[alive] = Walk(state: next, start: walks[index].start)
                alive += 1
                if wordProbe.reports(next) { found(next, in: words, wordProbe, at: offset, report) }
            }
            if startsWord {
                let next = wordProbe.child(WordAutomaton.root, code)
                if next >= 0 {
                    walks[alive] = Walk(state: next, start: Int32(truncatingIfNeeded: position))
                    alive += 1
                    if wordProbe.reports(next) { found(next, in: words, wordProbe, at: offset, report) }
                }
            }
        }
        walkCount = alive
        position &+= 1
    }

    /// Reports the patterns ending at `outputState` itself, read up to the current position.
    /// Out of line: matches are rare, and a smaller `read` is inlined into the scan.
    @inline(never)
    private mutating func found(_ outputState: Int32, in automaton: WordAutomaton, _ probe: WordAutomaton.Probe,
                                at offset: Int, _ report: (Int, Int, Int) -> Void) {
        let mask = Self.ringSize - 1
        for output in Int(probe.outputStart[Int(outputState)])..<Int(probe.outputStart[Int(outputState) + 1]) {
            let pattern = automaton.patterns[Int(probe.outputs[output])]
            let first = position - pattern.length + 1
            let match = (tag: Int(pattern.tag), start: Int(ring[first & mask].origin), end: offset + 1)
            if pattern.wordEnd { waiting.append(match) } else { report(match.tag, match.start, match.end) }
        }
    }
}

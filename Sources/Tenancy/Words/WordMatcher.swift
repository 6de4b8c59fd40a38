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

/// A tenant's enabled rules compiled into one automaton: built once per rule change (off the
/// event loop, it takes a while for many rules), then used by any number of messages at once.
public final class WordMatcher: Sendable {
    private enum Tag {
        case rule(Int)
        case exception(Int)
    }

    private let rules: [WordRule]
    private let automaton: WordAutomaton
    /// Per automaton pattern: the rule it is, or the rule it is an exception of.
    private let tags: [Tag]
    private let normalizer: WordNormalizer

    /// The longest pattern, in folded characters (spaces and punctuation left out).
    public static let maximumPatternLength = WordAutomaton.maximumLength

    public init(rules: [WordRule], normalizer: WordNormalizer = .standard) {
        let enabled = rules.filter(\.enabled)
        var keys: [(key: [UInt32], tag: Int32)] = []
        var tags: [Tag] = []
        for (index, rule) in enabled.enumerated() {
            keys.append((normalizer.key(of: rule.pattern), Int32(tags.count)))
            tags.append(.rule(index))
            for exception in rule.exceptions {
                keys.append((normalizer.key(of: exception), Int32(tags.count)))
                tags.append(.exception(index))
            }
        }
        self.rules = enabled
        self.tags = tags
        self.normalizer = normalizer
        automaton = WordAutomaton(keys)
    }

    /// How many states the automaton has, and the bytes its tables take.
    public var size: (states: Int, bytes: Int) { (automaton.stateCount, automaton.footprint) }

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
    ///   `text`): as many folded characters back as the automaton's final state is deep. Also a
    ///   complete match at the very end counts, as a longer pattern or a word going on may follow.
    @discardableResult
    func scan(_ text: String, _ report: (Int, Int, Int) -> Void) -> Int {
        withUnsafeTemporaryAllocation(of: Scanner.Slot.self, capacity: Scanner.ringSize) { ring in
            var scanner = Scanner(ring: ring, automaton: automaton)
            var offset = 0
            for scalar in text.unicodeScalars {
                switch normalizer.fold(scalar.value) {
                case .ignored: break
                case .separator: scanner.separated = true
                case .scalar(let value): scanner.read(value, at: offset, report)
                case .expansion(let index): for value in normalizer.expansions[index] { scanner.read(value, at: offset, report) }
                }
                offset += 1
            }
            for match in scanner.waiting { report(match.tag, match.start, match.end) }
            let inProgress = Int(scanner.probe.depth[Int(scanner.state)])
            if inProgress == 0 { return offset }
            let earliest = scanner.position - inProgress
            return earliest <= 0 ? 0 : Int(ring[earliest & (Scanner.ringSize - 1)].origin)
        }
    }

    /// `text` with every grapheme that holds a scalar of a match replaced by one `*`.
    static func mask(_ text: String, _ matches: [WordMatch]) -> String {
        var ranges: [(start: Int, end: Int)] = []
        for match in matches.sorted(by: { $0.start < $1.start }) {
            if let last = ranges.last, match.start <= last.end {
                ranges[ranges.count - 1].end = max(last.end, match.end)
            } else {
                ranges.append((match.start, match.end))
            }
        }
        var masked = ""
        masked.reserveCapacity(text.utf8.count)
        var offset = 0
        var range = 0
        for character in text {
            let start = offset
            offset += character.unicodeScalars.count
            while range < ranges.count, ranges[range].end <= start { range += 1 }
            if range < ranges.count, ranges[range].start < offset {
                masked.append("*")
            } else {
                masked.append(character)
            }
        }
        return masked
    }
}

/// The state of one scan: the automaton's state and the last positions read (a ring on the
/// stack; a match's start is at most `WordAutomaton.maximumLength` back).
private struct Scanner {
    struct Slot {
        /// The original scalar offset.
        var origin: Int32
        /// A separator came before it.
        var gapBefore: Bool
        /// It belongs to an alphabetic word.
        var alphabetic: Bool
    }

    static let ringSize = 128

    let ring: UnsafeMutableBufferPointer<Slot>
    let automaton: WordAutomaton
    let probe: WordAutomaton.Probe
    var state = WordAutomaton.root
    var position = 0
    var separated = false
    /// Matches whose last character is a letter wait for the next one to know whether a word
    /// goes on after them.
    var waiting: [(tag: Int, start: Int, end: Int)] = []

    init(ring: UnsafeMutableBufferPointer<Slot>, automaton: WordAutomaton) {
        self.ring = ring
        self.automaton = automaton
        probe = automaton.probe
    }

    @inline(__always)
    mutating func read(_ value: UInt32, at offset: Int, _ report: (Int, Int, Int) -> Void) {
        let mask = Self.ringSize - 1
        let isWord = WordNormalizer.isWordScalar(value)
        ring[position & mask] = Slot(origin: Int32(offset), gapBefore: separated, alphabetic: isWord)
        if !waiting.isEmpty {
            if separated || !isWord { for match in waiting { report(match.tag, match.start, match.end) } }
            waiting.removeAll(keepingCapacity: true)
        }
        separated = false
        state = probe.step(state, value)
        var outputState = probe.firstOutputState(state)
        while outputState >= 0 {
            for output in Int(probe.outputStart[Int(outputState)])..<Int(probe.outputStart[Int(outputState) + 1]) {
                let pattern = automaton.patterns[Int(probe.outputs[output])]
                let first = position - pattern.length + 1
                let start = ring[first & mask]
                if pattern.wordStart, first > 0, !start.gapBefore, ring[(first - 1) & mask].alphabetic { continue }
                let match = (tag: Int(pattern.tag), start: Int(start.origin), end: offset + 1)
                if pattern.wordEnd { waiting.append(match) } else { report(match.tag, match.start, match.end) }
            }
            outputState = probe.outputLink[Int(outputState)]
        }
        position += 1
    }
}

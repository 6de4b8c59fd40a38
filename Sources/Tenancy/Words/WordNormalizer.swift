import Foundation

/// How text is folded before sensitive-word matching, one Unicode scalar at a time and by table
/// lookup only: compatibility forms (NFKC: full and half width, circled and styled letters and
/// digits), case, traditional → simplified Chinese (OpenCC's table), digit variants (`⑧ ⓼ 八 捌`
/// → `8`). Format characters, combining marks and other ignorables vanish; punctuation, spaces,
/// symbols and emoji become separators, which a rule skips between its characters (`敏*感*词`,
/// `b.a.d`).
///
/// The tables are built once per process from Foundation's normalisation and the Unicode
/// properties (a few tens of milliseconds); matching then never calls Foundation.
// Unchecked: `basic` points at memory written once, before the normalizer is shared, and never
// changed or freed after.
public struct WordNormalizer: @unchecked Sendable {
    /// What one scalar of the original text becomes.
    enum Fold: Equatable {
        /// Dropped without a trace (zero-width and format characters, combining marks).
        case ignored
        /// Skipped between a rule's characters; also ends an English word.
        case separator
        /// One folded scalar.
        case scalar(UInt32)
        /// Several (`㎏` → `kg`); `expansions[index]`.
        case expansion(Int)
    }

    // A table entry: the folded scalar in the low 21 bits, or a kind in the top bits.
    private static let separatorBit: UInt32 = 1 << 31
    private static let ignoredBit: UInt32 = 1 << 30
    private static let expansionBit: UInt32 = 1 << 29

    /// The basic plane's entries, read through a raw pointer by scans (no bounds checks or
    /// reference counting per character). Allocated once and never freed: the tables live as long
    /// as the process (`standard` is the only normalizer).
    private let basic: UnsafePointer<UInt32>
    private let astral: [UInt32: UInt32]
    let expansions: [[UInt32]]

    /// The tables, built on first use.
    public static let standard = WordNormalizer()

    private init() {
        var simplified: [UInt32: UInt32] = [:]
        var pending: UInt32?
        for scalar in TraditionalChinese.pairs.unicodeScalars where !scalar.properties.isWhitespace {
            if let traditional = pending {
                simplified[traditional] = scalar.value
                pending = nil
            } else {
                pending = scalar.value
            }
        }
        var expansions: [[UInt32]] = []
        func entry(for scalar: Unicode.Scalar) -> UInt32? {
            switch Self.fold(scalar, simplified: simplified) {
            case nil: return nil
            case .ignored?: return Self.ignoredBit
            case .separator?: return Self.separatorBit
            case .scalar(let value)?: return value
            case .expansion(let values)?:
                expansions.append(values)
                return Self.expansionBit | UInt32(expansions.count - 1)
            }
        }
        var basic = [UInt32](repeating: 0, count: 0x10000)
        for value in 0..<UInt32(0x10000) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            basic[Int(value)] = entry(for: scalar) ?? value
        }
        // Beyond the basic plane only what changes is stored: styled letters and digits, enclosed
        // alphanumerics, emoji and other symbols, tags and variation selectors.
        var astral: [UInt32: UInt32] = [:]
        for value in UInt32(0x10000)...UInt32(0x10FFFF) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let category = scalar.properties.generalCategory
            // The ideographs of the extension blocks stay as they are (unless simplified), bar
            // the compatibility ideographs, which map to unified ones: skip the rest unread.
            guard category != .unassigned, category != .privateUse,
                  category != .otherLetter || simplified[value] != nil || (0x2F800...0x2FA1F).contains(value),
                  let folded = entry(for: scalar) else { continue }
            astral[value] = folded
        }
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: basic.count)
        table.initialize(from: basic, count: basic.count)
        self.basic = UnsafePointer(table)
        self.astral = astral
        self.expansions = expansions
    }

    /// What `scalar` folds to; nil when it stays as it is.
    private enum Folded { case ignored, separator, scalar(UInt32), expansion([UInt32]) }

    /// The kana sound marks, combining and spacing, full and half width, as the one scalar each
    /// folds to (U+3099 voiced, U+309A semi-voiced).
    private static let soundMarks: [UInt32: UInt32] = [
        0x3099: 0x3099, 0x309B: 0x3099, 0xFF9E: 0x3099,
        0x309A: 0x309A, 0x309C: 0x309A, 0xFF9F: 0x309A,
    ]

    private static func fold(_ scalar: Unicode.Scalar, simplified: [UInt32: UInt32]) -> Folded? {
        // Kana and their sound marks fold apart — `ガ` as `カ` and a voiced mark — so that half
        // width, which writes the mark as a character of its own (`ｶﾞ`), reads the same: NFKC
        // composes across characters, which a table of single characters cannot.
        if let mark = soundMarks[scalar.value] { return mark == scalar.value ? nil : .scalar(mark) }
        let decomposed = Array(String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars)
        if decomposed.count == 2, let mark = soundMarks[decomposed[1].value], (0x3040...0x30FF).contains(decomposed[0].value) {
            return .expansion([decomposed[0].value, mark])
        }
        if let kind = kind(of: scalar) { return kind }
        let compatible = String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars
        var values: [UInt32] = []
        var separated = false
        for part in compatible {
            if let kind = kind(of: part) {
                if case .separator = kind { separated = true }
                continue
            }
            values.append(finish(part, simplified: simplified))
        }
        if values.isEmpty { return separated ? .separator : .ignored }
        if values.count > 1 { return .expansion(values) }
        return values[0] == scalar.value ? nil : .scalar(values[0])
    }

    /// Separators and ignorables by their Unicode category; nil for what is kept.
    private static func kind(of scalar: Unicode.Scalar) -> Folded? {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .format, .nonspacingMark, .enclosingMark, .spacingMark, .surrogate:
            return .ignored
        case .control, .spaceSeparator, .lineSeparator, .paragraphSeparator,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return .separator
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            // Circled and squared letters (`ⓢ`, `🅂`) are alphabetic symbols that NFKC maps to
            // letters: folded as those, not skipped.
            let letter = properties.isAlphabetic && String(scalar).precomposedStringWithCompatibilityMapping != String(scalar)
            return letter ? nil : .separator
        default:
            // Hangul fillers and the like: letters that show nothing.
            return properties.isDefaultIgnorableCodePoint ? .ignored : nil
        }
    }

    /// Case, traditional → simplified, and digit variants, on one compatibility-mapped scalar.
    private static func finish(_ scalar: Unicode.Scalar, simplified: [UInt32: UInt32]) -> UInt32 {
        var value = scalar.value
        let lower = scalar.properties.lowercaseMapping.unicodeScalars
        if lower.count == 1, let first = lower.first { value = first.value }
        if let simple = simplified[value] { value = simple }
        if let scalar = Unicode.Scalar(value), !(0x30...0x39).contains(value),
           let number = scalar.properties.numericValue, number >= 0, number <= 9, number == number.rounded() {
            value = 0x30 + UInt32(number)
        }
        return value
    }

    /// What the scalar `value` of a text becomes.
    @inline(__always)
    func fold(_ value: UInt32) -> Fold {
        let entry = value < 0x10000 ? basic[Int(value)] : (astral[value] ?? value)
        if entry & Self.separatorBit != 0 { return .separator }
        if entry & Self.ignoredBit != 0 { return .ignored }
        if entry & Self.expansionBit != 0 { return .expansion(Int(entry & 0x1FFFFF)) }
        return .scalar(entry)
    }

    /// `text` folded one scalar at a time, for search: `nil` stands for a separator (a space,
    /// punctuation, a symbol); ignorables are dropped.
    public func foldedScalars(_ text: String, _ body: (Unicode.Scalar?) -> Void) {
        for scalar in text.unicodeScalars {
            switch fold(scalar.value) {
            case .ignored: continue
            case .separator: body(nil)
            case .scalar(let value): body(Unicode.Scalar(value))
            case .expansion(let index): for value in expansions[index] { body(Unicode.Scalar(value)) }
            }
        }
    }

    /// A pattern as the matcher sees it: folded, separators and ignorables dropped. Two patterns
    /// with the same key are the same rule (`敏感` and `敏 感`, `ＳＥＸ` and `sex`).
    public func key(of pattern: String) -> [UInt32] {
        var folded: [UInt32] = []
        for scalar in pattern.unicodeScalars {
            switch fold(scalar.value) {
            case .ignored, .separator: continue
            case .scalar(let value): folded.append(value)
            case .expansion(let index): folded.append(contentsOf: expansions[index])
            }
        }
        return folded
    }

    /// The key as text (for uniqueness checks and storage).
    public func keyText(of pattern: String) -> String {
        var text = String.UnicodeScalarView()
        for value in key(of: pattern) { if let scalar = Unicode.Scalar(value) { text.append(scalar) } }
        return String(text)
    }

    /// Whether a folded scalar belongs to an alphabetic word (Latin, Greek, Cyrillic… and digits):
    /// an English rule must not touch one on either side. CJK and the rest match anywhere.
    @inline(__always)
    static func isWordScalar(_ value: UInt32) -> Bool {
        value < 0x2E80
    }
}

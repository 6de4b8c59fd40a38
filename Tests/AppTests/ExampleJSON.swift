import Foundation

/// A JSON value as docs/protocol.md writes its example frames: JSON in which `…` inside an
/// object stands for fields left out (`{…,"lastSeq":5,…}`, `{…"seq":1…}`). Parses the server's
/// real frames too, so both sides of a comparison are the same type.
indirect enum ExampleJSON: Equatable, CustomStringConvertible {
    /// `open` when the example left fields out with `…`.
    case object([String: ExampleJSON], open: Bool)
    case array([ExampleJSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    struct SyntaxError: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses one value, and returns it with what follows it on the line (trimmed).
    static func parse(prefixOf text: String) throws -> (value: ExampleJSON, rest: String) {
        var reader = Reader(scalars: Array(text.unicodeScalars))
        let value = try reader.value()
        reader.skipSpace()
        var rest = String.UnicodeScalarView()
        rest.append(contentsOf: reader.scalars[reader.index...])
        return (value, String(rest))
    }

    static func parse(_ text: String) throws -> ExampleJSON {
        let (value, rest) = try parse(prefixOf: text)
        guard rest.isEmpty else { throw SyntaxError(description: "unexpected \"\(rest)\" after the value in \(text)") }
        return value
    }

    /// Every string in the value, keys excluded, in no particular order.
    var strings: [String] {
        switch self {
        case .string(let text): [text]
        case .object(let fields, _): fields.values.flatMap(\.strings)
        case .array(let items): items.flatMap(\.strings)
        default: []
        }
    }

    var description: String {
        switch self {
        case .object(let fields, let open):
            let members = fields.keys.sorted().map { "\"\($0)\":\(fields[$0]!)" } + (open ? ["…"] : [])
            return "{" + members.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map(\.description).joined(separator: ",") + "]"
        case .string(let text): return "\"\(text)\""
        case .number(let number): return number == number.rounded() ? String(Int64(number)) : String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        }
    }

    private struct Reader {
        let scalars: [Unicode.Scalar]
        var index = 0

        mutating func value() throws -> ExampleJSON {
            skipSpace()
            guard index < scalars.count else { throw SyntaxError(description: "a value is missing") }
            switch scalars[index] {
            case "{": return try object()
            case "[": return try array()
            case "\"": return .string(try string())
            case "t": try literal("true"); return .bool(true)
            case "f": try literal("false"); return .bool(false)
            case "n": try literal("null"); return .null
            default: return .number(try number())
            }
        }

        mutating func object() throws -> ExampleJSON {
            index += 1
            var fields: [String: ExampleJSON] = [:]
            var open = false
            while true {
                skipSpace()
                guard index < scalars.count else { throw SyntaxError(description: "an object is not closed") }
                switch scalars[index] {
                case "}":
                    index += 1
                    return .object(fields, open: open)
                case "…":
                    index += 1
                    open = true
                case ",":
                    index += 1
                default:
                    let key = try string()
                    skipSpace()
                    guard index < scalars.count, scalars[index] == ":" else { throw SyntaxError(description: "\":\" missing after \"\(key)\"") }
                    index += 1
                    fields[key] = try value()
                }
            }
        }

        mutating func array() throws -> ExampleJSON {
            index += 1
            var items: [ExampleJSON] = []
            while true {
                skipSpace()
                guard index < scalars.count else { throw SyntaxError(description: "an array is not closed") }
                switch scalars[index] {
                case "]":
                    index += 1
                    return .array(items)
                case ",":
                    index += 1
                default:
                    items.append(try value())
                }
            }
        }

        mutating func string() throws -> String {
            guard index < scalars.count, scalars[index] == "\"" else { throw SyntaxError(description: "a string was expected") }
            index += 1
            var text = String.UnicodeScalarView()
            while index < scalars.count {
                let scalar = scalars[index]
                index += 1
                switch scalar {
                case "\"":
                    return String(text)
                case "\\":
                    guard index < scalars.count else { break }
                    let escape = scalars[index]
                    index += 1
                    switch escape {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "r": text.append("\r")
                    case "b": text.append("\u{08}")
                    case "f": text.append("\u{0C}")
                    case "u":
                        guard index + 4 <= scalars.count,
                              let code = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16) else {
                            throw SyntaxError(description: "a bad \\u escape")
                        }
                        index += 4
                        // The examples have no surrogate pairs; a lone one reads as U+FFFD.
                        text.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default: text.append(escape)
                    }
                default:
                    text.append(scalar)
                }
            }
            throw SyntaxError(description: "a string is not closed")
        }

        mutating func number() throws -> Double {
            let start = index
            while index < scalars.count, "-+.eE0123456789".unicodeScalars.contains(scalars[index]) { index += 1 }
            guard let number = Double(String(String.UnicodeScalarView(scalars[start..<index]))) else {
                throw SyntaxError(description: "a value was expected at \"\(String(String.UnicodeScalarView(scalars[start...].prefix(20))))\"")
            }
            return number
        }

        mutating func literal(_ word: String) throws {
            let end = index + word.unicodeScalars.count
            guard end <= scalars.count, String(String.UnicodeScalarView(scalars[index..<end])) == word else {
                throw SyntaxError(description: "\"\(word)\" was expected")
            }
            index = end
        }

        mutating func skipSpace() {
            while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
        }
    }
}

/// What the example's ids and tokens stand for on the real server: the example's
/// `"29DE6FEE-…"` is whatever id the server gave that conversation, the same one wherever the
/// example repeats it (in any case, also inside an event's text), and never another example id's.
struct ExampleBindings {
    private(set) var actual: [String: String] = [:]
    private var example: [String: String] = [:]

    /// Ids (UUIDs, in any case) and visitor tokens: values the server makes up.
    static func isPlaceholder(_ text: String) -> Bool {
        UUID(uuidString: text) != nil || text.hasPrefix("kfv_")
    }

    /// `2026-11-23T17:22:30.112Z`: a time, which matches any time written the same way.
    static func isTimestamp(_ text: String) -> Bool {
        let pattern = Array("dddd-dd-ddTdd:dd:dd.dddZ")
        let characters = Array(text)
        guard characters.count == pattern.count else { return false }
        return zip(characters, pattern).allSatisfy { character, expected in expected == "d" ? character.isASCII && character.isNumber : character == expected }
    }

    private static func key(_ text: String) -> String {
        UUID(uuidString: text) != nil ? text.uppercased() : text
    }

    /// Binds `exampleValue` to `actualValue`, or checks the binding made before.
    mutating func bind(_ exampleValue: String, to actualValue: String) -> String? {
        let (exampleKey, actualKey) = (Self.key(exampleValue), Self.key(actualValue))
        if let bound = actual[exampleKey] {
            return bound == actualKey ? nil : "\(exampleValue) stands for \(bound) already, not \(actualValue)"
        }
        if let other = example[actualKey] {
            return "\(actualValue) is \(other) in the example already, not \(exampleValue)"
        }
        actual[exampleKey] = actualKey
        example[actualKey] = exampleKey
        return nil
    }

    /// `frame` (an example's text) with every bound placeholder replaced by its real value.
    func substituted(_ frame: String) throws -> String {
        var text = frame
        for string in try ExampleJSON.parse(frame).strings where Self.isPlaceholder(string) {
            guard let value = actual[Self.key(string)] else {
                throw ExampleJSON.SyntaxError(description: "\(string) is sent before the server named it")
            }
            text = text.replacingOccurrences(of: string, with: value)
        }
        return text
    }

    /// Whether `actual` is what `expected` describes; binds the placeholders it meets (kept
    /// only on a match). Returns why not, or nil on a match.
    mutating func match(_ expected: ExampleJSON, _ actual: ExampleJSON) -> String? {
        if case .object(let wanted, _) = expected, case .object(let got, _) = actual,
           case .string(let wantedType)? = wanted["type"], case .string(let gotType)? = got["type"], wantedType != gotType {
            return "a \"\(gotType)\" frame, not \"\(wantedType)\""
        }
        var trial = self
        if let mismatch = trial.compare(expected, actual, at: "") { return mismatch }
        self = trial
        return nil
    }

    private mutating func compare(_ expected: ExampleJSON, _ actual: ExampleJSON, at path: String) -> String? {
        switch (expected, actual) {
        case (.object(let wanted, let open), .object(let got, _)):
            for key in wanted.keys.sorted() {
                guard let value = got[key] else { return "\(path).\(key) is missing" }
                if let mismatch = compare(wanted[key]!, value, at: "\(path).\(key)") { return mismatch }
            }
            let extra = Set(got.keys).subtracting(wanted.keys)
            if !open, !extra.isEmpty { return "\(path) has fields the example does not show: \(extra.sorted())" }
            return nil
        case (.array(let wanted), .array(let got)):
            guard wanted.count == got.count else { return "\(path) has \(got.count) items, not \(wanted.count)" }
            for (index, pair) in zip(wanted, got).enumerated() {
                if let mismatch = compare(pair.0, pair.1, at: "\(path)[\(index)]") { return mismatch }
            }
            return nil
        case (.string(let wanted), .string(let got)):
            if Self.isPlaceholder(wanted) {
                return bind(wanted, to: got).map { "\(path): \($0)" }
            }
            if Self.isTimestamp(wanted) {
                return Self.isTimestamp(got) ? nil : "\(path) is \"\(got)\", not a time"
            }
            // An event's text is JSON itself: compared as such.
            if wanted.hasPrefix("{"), let wantedJSON = try? ExampleJSON.parse(wanted), let gotJSON = try? ExampleJSON.parse(got) {
                return compare(wantedJSON, gotJSON, at: path + "(json)")
            }
            return wanted == got ? nil : "\(path) is \"\(got)\", not \"\(wanted)\""
        default:
            return expected == actual ? nil : "\(path) is \(actual), not \(expected)"
        }
    }
}

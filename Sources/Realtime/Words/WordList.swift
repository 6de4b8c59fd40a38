import CSV
import Foundation
import Tenancy

/// Word lists as files, read for an import and written for an export. Two formats:
///
/// - `text`: one pattern a line; blank lines and lines starting with `#` are skipped.
/// - `csv`: columns `pattern,action,category,senders` (senders joined by `|`), optionally
///   `enabled` and `exceptions` (joined by `|`) after them; a first row of column names (one of
///   them `pattern`) is a header, and then columns are found by name, in any order. Read and written by CSV.swift (quotes, commas
///   and line breaks inside fields), never by splitting on commas.
///
/// Lines are numbered as an editor shows them: a quoted field with line breaks in it moves the
/// next row's number on by as many lines.
public enum WordList {
    public enum Format: String, Sendable, CaseIterable {
        case text = "txt"
        case csv
    }

    /// One row of a list: what it says, field by field; nil where it says nothing.
    public struct Entry: Sendable, Equatable {
        public let line: Int
        public var pattern: String
        public var action: String?
        public var category: String?
        public var senders: String?
        public var enabled: String?
        public var exceptions: String?
    }

    /// A list whose structure is broken (a CSV quote left open, or misplaced): nothing of it is
    /// read, as a parser would guess at what the rest of it means.
    public struct Malformed: Error, Sendable, Equatable {
        public let line: Int
        public let message: String
    }

    /// The CSV columns, in the order an export writes them.
    static let columns = ["pattern", "action", "category", "senders", "enabled", "exceptions"]

    /// The rows of `text`, in order.
    public static func read(_ text: String, format: Format) throws -> [Entry] {
        switch format {
        case .text: readText(text)
        case .csv: try readCSV(text)
        }
    }

    static func readText(_ text: String) -> [Entry] {
        var entries: [Entry] = []
        var line = 0
        Self.withoutByteOrderMark(text).enumerateLines { content, _ in
            line += 1
            let trimmed = content.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return }
            entries.append(Entry(line: line, pattern: trimmed))
        }
        return entries
    }

    static func readCSV(_ text: String) throws -> [Entry] {
        let text = withoutByteOrderMark(text)
        try checkQuotes(text)
        let reader = try CSVReader(string: text)
        var entries: [Entry] = []
        var line = 1
        var positions = Dictionary(uniqueKeysWithValues: columns.prefix(4).enumerated().map { ($1, $0) })
        var first = true
        while let row = reader.next() {
            let rowLine = line
            // The next row starts after this one's line breaks, those inside its fields included.
            line += 1 + row.reduce(0) { $0 + lineBreaks(in: $1) }
            defer { first = false }
            let names = row.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if first, names.contains("pattern"), names.allSatisfy(columns.contains) {
                positions = [:]
                for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
                continue
            }
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            func field(_ name: String) -> String? {
                guard let index = positions[name], index < row.count else { return nil }
                let value = row[index].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
            entries.append(Entry(line: rowLine, pattern: field("pattern") ?? "", action: field("action"), category: field("category"),
                                 senders: field("senders"), enabled: field("enabled"), exceptions: field("exceptions")))
        }
        if let error = reader.error { throw error }
        return entries
    }

    static func withoutByteOrderMark(_ text: String) -> String {
        text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
    }

    /// Throws where the quoting of `text` breaks RFC 4180: a quote inside an unquoted field, text
    /// after a closing quote, or a quoted field never closed. The CSV reader takes such input
    /// without complaint, guessing; a list is better refused with the line to fix.
    static func checkQuotes(_ text: String) throws {
        enum Place { case fieldStart, unquoted, quoted, afterQuote }
        var place = Place.fieldStart
        var line = 1
        var openedOn = 1
        var afterCR = false
        for scalar in text.unicodeScalars {
            let newline = scalar == "\n" || scalar == "\r"
            if newline, !(scalar == "\n" && afterCR) { line += 1 }
            afterCR = scalar == "\r"
            switch place {
            case .fieldStart, .unquoted:
                if scalar == "\"" {
                    guard place == .fieldStart else { throw Malformed(line: line, message: "a quote inside an unquoted field (quote the whole field and double the quote)") }
                    place = .quoted
                    openedOn = line
                } else {
                    place = scalar == "," || newline ? .fieldStart : .unquoted
                }
            case .quoted:
                if scalar == "\"" { place = .afterQuote }
            case .afterQuote:
                if scalar == "\"" {
                    place = .quoted
                } else if scalar == "," || newline {
                    place = .fieldStart
                } else {
                    throw Malformed(line: line, message: "text after a closing quote")
                }
            }
        }
        if place == .quoted { throw Malformed(line: openedOn, message: "a quoted field is never closed") }
    }

    /// `rules` as a file of `format`: the text format lists patterns only; CSV carries every field.
    public static func write(_ rules: [WordRule], format: Format) throws -> String {
        switch format {
        case .text:
            return rules.map { $0.pattern + "\n" }.joined()
        case .csv:
            let stream = OutputStream(toMemory: ())
            let writer = try CSVWriter(stream: stream, newline: .crlf)
            try writer.write(row: columns)
            for rule in rules {
                try writer.write(row: [
                    rule.pattern, rule.action.rawValue, rule.category,
                    WordSender.allCases.filter(rule.senders.contains).map(\.rawValue).joined(separator: "|"),
                    String(rule.enabled), rule.exceptions.joined(separator: "|"),
                ])
            }
            writer.stream.close()
            let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }
}

/// Line breaks in `field` as an editor counts them: LF, CR, and CR LF as one.
private func lineBreaks(in field: String) -> Int {
    var count = 0
    var afterCR = false
    for scalar in field.unicodeScalars {
        if scalar == "\r" {
            count += 1
        } else if scalar == "\n", !afterCR {
            count += 1
        }
        afterCR = scalar == "\r"
    }
    return count
}

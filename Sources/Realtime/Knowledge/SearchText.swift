import Foundation
import Tenancy

/// Text as Kefu's full-text search reads it, on plain PostgreSQL: folded as sensitive words are
/// (width, case, traditional → simplified, digit variants), then split into CJK runs — indexed as
/// overlapping character bigrams in PostgreSQL's `simple` configuration, because Chinese has no
/// spaces and `pg_trgm` ignores CJK in a C-ctype database — and the rest, indexed with the
/// `english` configuration (stemmed, stop words dropped).
public struct SearchText: Sendable, Equatable {
    /// Space-separated CJK bigrams (a lone CJK character stands as itself).
    public let bigrams: String
    /// Everything that is not CJK, folded, for `to_tsvector('english', …)`.
    public let rest: String

    public init(_ text: String, normalizer: WordNormalizer = .standard) {
        var bigrams: [String] = []
        var rest = String.UnicodeScalarView()
        var run: [Unicode.Scalar] = []
        func endRun() {
            if run.count == 1 { bigrams.append(String(run[0])) }
            if run.count > 1 {
                for index in 0..<(run.count - 1) {
                    var pair = String.UnicodeScalarView()
                    pair.append(run[index])
                    pair.append(run[index + 1])
                    bigrams.append(String(pair))
                }
            }
            run.removeAll(keepingCapacity: true)
        }
        normalizer.foldedScalars(text) { scalar in
            guard let scalar else {
                endRun()
                rest.append(" ")
                return
            }
            if Self.isCJK(scalar.value) {
                run.append(scalar)
            } else {
                endRun()
                rest.append(scalar)
            }
        }
        endRun()
        self.bigrams = bigrams.joined(separator: " ")
        self.rest = String(rest)
    }

    /// The bigrams as a set, for comparing a question with a FAQ's variants.
    public var terms: Set<String> {
        Set(bigrams.split(separator: " ").map(String.init))
            .union(rest.split(whereSeparator: { $0 == " " }).map { $0.lowercased() }.filter { $0.count > 1 })
    }

    /// Han (with extensions), kana and Hangul: scripts written without spaces between words.
    static func isCJK(_ value: UInt32) -> Bool {
        (0x3040...0x30FF).contains(value) || (0x3400...0x4DBF).contains(value) || (0x4E00...0x9FFF).contains(value)
            || (0xAC00...0xD7AF).contains(value) || (0xF900...0xFAFF).contains(value) || (0x20000...0x3134F).contains(value)
    }
}

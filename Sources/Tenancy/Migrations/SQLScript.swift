import Foundation

/// Splits a SQL script into statements at top-level semicolons.
///
/// postgres-nio speaks only the extended query protocol, which takes one statement at a time,
/// so a migration file is cut here. Semicolons inside quotes, quoted identifiers,
/// dollar-quoted bodies (`$$ ... $$`, `$tag$ ... $tag$`) and comments do not split.
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        var onlyTrivia = true

        func finishStatement() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !onlyTrivia, !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
            onlyTrivia = true
        }
        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < characters.count ? characters[index + offset] : nil
        }
        /// Copies characters up to and including `terminator`, starting at `index`.
        func copy(through terminator: [Unicode.Scalar], escapesWithBackslash: Bool = false) {
            while index < characters.count {
                let scalar = characters[index]
                if escapesWithBackslash, scalar == "\\", index + 1 < characters.count {
                    current.append(scalar); current.append(characters[index + 1]); index += 2; continue
                }
                if Array(characters[index..<min(index + terminator.count, characters.count)]) == terminator {
                    current.append(contentsOf: terminator); index += terminator.count; return
                }
                current.append(scalar); index += 1
            }
        }

        /// Copies a quoted string or identifier; a doubled quote is an escaped quote.
        func copyQuoted(quote: Unicode.Scalar, escapesWithBackslash: Bool) {
            while index < characters.count {
                let scalar = characters[index]
                if escapesWithBackslash, scalar == "\\", index + 1 < characters.count {
                    current.append(scalar); current.append(characters[index + 1]); index += 2; continue
                }
                current.append(scalar); index += 1
                if scalar == quote {
                    if peek(0) == quote { current.append(quote); index += 1 } else { return }
                }
            }
        }

        /// `$tag$` (letters, digits, underscores, not starting with a digit) or `$$` at `start`.
        func dollarTag(at start: Int) -> [Unicode.Scalar]? {
            if start > 0, characters[start - 1].properties.isAlphabetic || ("0"..."9").contains(characters[start - 1]) || characters[start - 1] == "_" {
                return nil // part of an identifier such as a$b
            }
            var end = start + 1
            while end < characters.count, characters[end] != "$" {
                let scalar = characters[end]
                let allowed = scalar.properties.isAlphabetic || scalar == "_" || (end > start + 1 && ("0"..."9").contains(scalar))
                if !allowed { return nil }
                end += 1
            }
            guard end < characters.count else { return nil }
            return Array(characters[start...end])
        }

        while index < characters.count {
            let scalar = characters[index]
            switch scalar {
            case "-" where peek(1) == "-":
                copy(through: ["\n"])
            case "/" where peek(1) == "*":
                // Block comments nest in PostgreSQL.
                var depth = 0
                repeat {
                    if characters[index] == "/", peek(1) == "*" { depth += 1; current.append(contentsOf: ["/", "*"]); index += 2 }
                    else if characters[index] == "*", peek(1) == "/" { depth -= 1; current.append(contentsOf: ["*", "/"]); index += 2 }
                    else { current.append(characters[index]); index += 1 }
                } while depth > 0 && index < characters.count
            case "'":
                let escaped = index > 0 && (characters[index - 1] == "E" || characters[index - 1] == "e")
                current.append(scalar); index += 1; onlyTrivia = false
                copyQuoted(quote: "'", escapesWithBackslash: escaped)
            case "\"":
                current.append(scalar); index += 1; onlyTrivia = false
                copyQuoted(quote: "\"", escapesWithBackslash: false)
            case "$":
                if let tag = dollarTag(at: index) {
                    current.append(contentsOf: tag); index += tag.count; onlyTrivia = false
                    copy(through: tag)
                } else {
                    current.append(scalar); index += 1; onlyTrivia = false
                }
            case ";":
                index += 1
                finishStatement()
            default:
                if !scalar.properties.isWhitespace { onlyTrivia = false }
                current.append(scalar); index += 1
            }
        }
        finishStatement()
        return statements

    }
}

import Foundation
import Ink

/// A knowledge document cut into the pieces retrieval returns: at headings, then at block
/// boundaries (paragraphs, lists, tables, code) once a piece grows past `targetLength`. Markdown
/// is read by Ink (each top-level block reported by its modifiers, in order), never by regular
/// expressions; plain text splits at blank lines; HTML is reduced to its text first.
public enum DocumentSplitter {
    public enum Format: String, Sendable, Codable, CaseIterable {
        case markdown, text, html
    }

    /// One piece: the heading it falls under (the document's title before any heading) and its text.
    public struct Chunk: Sendable, Equatable {
        public let heading: String
        public let text: String
    }

    /// About how long a piece grows before the next block starts a new one, in characters.
    static let targetLength = 800

    public static func chunks(title: String, body: String, format: Format) -> [Chunk] {
        let blocks: [Block]
        switch format {
        case .markdown: blocks = markdownBlocks(body)
        case .text: blocks = paragraphs(body)
        case .html: blocks = paragraphs(HTMLText.text(of: body))
        }
        var chunks: [Chunk] = []
        var heading = title
        var pending: [String] = []
        var length = 0
        func flush() {
            let text = pending.joined(separator: "\n\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { chunks.append(Chunk(heading: heading, text: text)) }
            pending = []
            length = 0
        }
        for block in blocks {
            switch block {
            case .heading(let text):
                flush()
                heading = text.isEmpty ? title : text
            case .body(let text):
                if length > 0, length + text.count > targetLength { flush() }
                pending.append(text)
                length += text.count
            }
        }
        flush()
        return chunks
    }

    enum Block: Equatable {
        case heading(String)
        case body(String)
    }

    /// The document's top-level blocks in order, as Ink parses them.
    static func markdownBlocks(_ markdown: String) -> [Block] {
        final class Collected {
            var blocks: [Block] = []
        }
        let collected = Collected()
        var parser = MarkdownParser()
        let targets: [Modifier.Target] = [.headings, .paragraphs, .lists, .codeBlocks, .tables, .blockquotes, .html, .horizontalLines]
        for target in targets {
            parser.addModifier(Modifier(target: target) { input in
                let text = String(input.markdown).trimmingCharacters(in: .whitespacesAndNewlines)
                if target == .headings {
                    collected.blocks.append(.heading(String(text.drop { $0 == "#" }).trimmingCharacters(in: .whitespaces)))
                } else if target != .horizontalLines, !text.isEmpty {
                    collected.blocks.append(.body(text))
                }
                return input.html
            })
        }
        _ = parser.html(from: markdown)
        return collected.blocks
    }

    static func paragraphs(_ text: String) -> [Block] {
        text.replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .map(Block.body)
    }
}

/// The text of an HTML document, for indexing: scripts and styles dropped, block elements
/// becoming paragraph breaks, tags removed, the common entities decoded. Never shown as HTML.
enum HTMLText {
    static func text(of html: String) -> String {
        var text = ""
        var index = html.startIndex
        let blockTags: Set<String> = ["p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section", "article"]
        while index < html.endIndex {
            let character = html[index]
            guard character == "<" else {
                text.append(character)
                index = html.index(after: index)
                continue
            }
            guard let close = html[index...].firstIndex(of: ">") else { break }
            let tag = html[html.index(after: index)..<close].lowercased()
            let name = String(tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber })
            index = html.index(after: close)
            if (name == "script" || name == "style"), !tag.hasPrefix("/") {
                // Skip to the matching end tag.
                if let end = html.range(of: "</\(name)", options: .caseInsensitive, range: index..<html.endIndex) {
                    index = html[end.upperBound...].firstIndex(of: ">").map { html.index(after: $0) } ?? html.endIndex
                } else {
                    index = html.endIndex
                }
                continue
            }
            if blockTags.contains(name) { text.append("\n\n") }
        }
        let entities = ["&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&amp;": "&"]
        for (entity, value) in entities { text = text.replacingOccurrences(of: entity, with: value) }
        return text
    }
}

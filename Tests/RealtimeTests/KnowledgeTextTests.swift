import Foundation
import Testing
@testable import Realtime

/// Knowledge as search and retrieval read it: CJK as folded bigrams beside English words, and
/// documents cut at headings and paragraphs by a Markdown parser.
@Suite struct KnowledgeTextTests {
    @Test func chineseBecomesFoldedBigramsAndTheRestStaysForEnglish() {
        let text = SearchText("退貨政策：7天內可退，Return policy applies!")
        #expect(text.bigrams == "退货 货政 政策 天内 内可 可退", "\(text.bigrams)")
        #expect(text.rest.contains("return policy applies"), "\(text.rest)")
        #expect(SearchText("樂").bigrams == "乐", "a lone character stands as itself, simplified")
        #expect(SearchText("退货").terms == ["退货"])
    }

    @Test func markdownIsCutAtHeadingsAndLongSectionsAtParagraphs() {
        let long = String(repeating: "退货需要保留原包装。", count: 60)
        let markdown = """
            Intro paragraph before any heading.

            # Returns

            \(long)

            \(long)

            ## Shipping

            - Free over ¥99
            - Two days

            ```
            code stays in its piece
            ```
            """
        let chunks = DocumentSplitter.chunks(title: "Help", body: markdown, format: .markdown)
        #expect(chunks.map(\.heading) == ["Help", "Returns", "Returns", "Shipping"], "\(chunks.map(\.heading))")
        #expect(chunks[0].text == "Intro paragraph before any heading.")
        #expect(chunks[3].text.contains("- Free over ¥99") && chunks[3].text.contains("code stays in its piece"))
    }

    @Test func htmlIsReducedToItsText() {
        let chunks = DocumentSplitter.chunks(title: "Page", body: "<html><style>p{}</style><script>alert(1)</script><h1>Hours</h1><p>Open 9&nbsp;&amp; later</p><p>Closed Sunday</p></html>",
                                             format: .html)
        let text = chunks.map(\.text).joined(separator: "|")
        #expect(text == "Hours\n\nOpen 9 & later\n\nClosed Sunday", "\(text)")
        #expect(!text.contains("alert") && !text.contains("p{}"))
    }
}

import Foundation
import PostgresNIO
import Tenancy

/// What the tenant's knowledge says to a question: the best FAQ entry (with how sure the match
/// is) and the best document chunks, ranked.
public struct Retrieval: Sendable, Equatable {
    public struct Chunk: Sendable, Equatable {
        public let documentID: UUID
        public let ordinal: Int
        public let title: String
        public let heading: String
        public let text: String
        /// The order of the results: full-text rank alone, or the fused score with embeddings.
        public var rank: Double
        /// Its full-text rank (`ts_rank_cd`), when the text search found it.
        public var textRank: Double?
        /// Its cosine similarity to the question, when the vector search found it.
        public var similarity: Double?

        public var key: KnowledgeVectors.ChunkKey { .init(documentID: documentID, ordinal: ordinal) }
    }

    public struct FAQMatch: Sendable, Equatable {
        public let entry: FAQEntry
        /// The share of terms the question and the entry's closest variant have in common (0–1).
        public let score: Double
    }

    public let faq: FAQMatch?
    public var chunks: [Chunk]
    /// Whether the tenant has any knowledge at all (an empty retrieval means "not found" only then).
    public let hasKnowledge: Bool
}

extension KnowledgeStore {
    /// A FAQ entry whose closest variant shares at least this share of terms with the question
    /// answers it directly.
    public static let faqThreshold = 0.5

    /// Searches documents and FAQ entries for `question` by their text (see `KnowledgeRetriever`
    /// for the search with embeddings): terms are CJK bigrams and stemmed
    /// English words (see `SearchText`), any of which may match; ranked by `ts_rank_cd`.
    public func search(_ question: String, tenantID: UUID, limit: Int = 4) async throws -> Retrieval {
        try await database.withTenant(tenantID) { tx in try await Self.search(question, limit: limit, in: tx) }
    }

    /// The same search in a transaction the caller has open (the bot's, which reads the
    /// conversation too): one statement, `kefu_search_knowledge` (0025).
    public static func search(_ question: String, limit: Int, in tx: TenantTransaction) async throws -> Retrieval {
        let text = SearchText(question)
        let bigrams = text.bigrams.split(separator: " ").map(String.init)
        var chunks: [Retrieval.Chunk] = []
        var candidates: [FAQEntry] = []
        let rows = try await tx.query("""
            SELECT is_faq, id, ordinal, title, heading, body, rank, questions
            FROM kefu_search_knowledge(\(bigrams)::text[], \(text.rest), \(limit)::integer)
            """)
        for try await (isFAQ, id, ordinal, title, heading, body, rank, questions)
            in rows.decode((Bool, UUID, Int?, String?, String?, String, Double, [String]?).self) {
            if isFAQ {
                candidates.append(FAQEntry(id: id, questions: questions ?? [], answer: body, enabled: true))
            } else {
                chunks.append(Retrieval.Chunk(documentID: id, ordinal: ordinal ?? 0, title: title ?? "", heading: heading ?? "", text: body,
                                              rank: rank, textRank: rank))
            }
        }
        var hasKnowledge = !chunks.isEmpty || !candidates.isEmpty
        if !hasKnowledge {
            for try await exists in try await tx.query("""
                SELECT EXISTS (SELECT 1 FROM knowledge_chunks) OR EXISTS (SELECT 1 FROM faq_entries WHERE enabled)
                """).decode(Bool.self) {
                hasKnowledge = exists
            }
        }
        let asked = text.terms
        let best = candidates.filter { !$0.questions.isEmpty }.map { entry in
            Retrieval.FAQMatch(entry: entry, score: entry.questions.map { overlap(asked, SearchText($0).terms) }.max() ?? 0)
        }.max { $0.score < $1.score }
        return Retrieval(faq: best, chunks: chunks, hasKnowledge: hasKnowledge)
    }

    /// The share of the two term sets they have in common (Jaccard).
    static func overlap(_ a: Set<String>, _ b: Set<String>) -> Double {
        let union = a.union(b).count
        return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
    }
}

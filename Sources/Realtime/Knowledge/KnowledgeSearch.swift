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
        let text = SearchText(question)
        let bigrams = text.bigrams.split(separator: " ").map(String.init)
        return try await database.withTenant(tenantID) { tx in
            // The query text first, then searched as a constant: a tsquery computed inside the
            // search statement would hide it from the planner, which then scans every chunk
            // instead of asking the GIN index.
            var queryText: String?
            for try await text in try await tx.query("""
                SELECT string_agg('''' || t || '''', ' | ') FROM (
                    SELECT DISTINCT t FROM (SELECT unnest(\(bigrams)::text[]) UNION ALL
                                            SELECT unnest(tsvector_to_array(to_tsvector('english', \(text.rest))))) AS x(t)
                    WHERE t <> '') AS terms
                """).decode(String?.self) {
                queryText = text
            }
            var chunks: [Retrieval.Chunk] = []
            var candidates: [FAQEntry] = []
            if let queryText {
                let query: SQLFragment = "to_tsquery('simple', \(queryText))"
                // Through the search functions (0023): under row-level security `@@` could not use
                // the GIN index, and every search scanned every chunk.
                for try await (id, ordinal, title, heading, body, rank) in try await tx.query("""
                    SELECT k.document_id, k.ordinal, d.title, k.heading, k.body, k.rank
                    FROM kefu_search_chunks(\(query), \(limit)::integer) k JOIN knowledge_documents d ON d.id = k.document_id
                    ORDER BY k.rank DESC, k.document_id, k.ordinal
                    """).decode((UUID, Int, String, String, String, Double).self) {
                    chunks.append(Retrieval.Chunk(documentID: id, ordinal: ordinal, title: title, heading: heading, text: body, rank: rank,
                                                  textRank: rank))
                }
                for try await (id, questions, answer) in try await tx.query("""
                    SELECT id, questions, answer FROM kefu_search_faq(\(query), 5)
                    """).decode((UUID, [String], String).self) {
                    candidates.append(FAQEntry(id: id, questions: questions, answer: answer, enabled: true))
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
            let best = candidates.map { entry in
                Retrieval.FAQMatch(entry: entry, score: entry.questions.map { Self.overlap(asked, SearchText($0).terms) }.max() ?? 0)
            }.max { $0.score < $1.score }
            return Retrieval(faq: best, chunks: chunks, hasKnowledge: hasKnowledge)
        }
    }

    /// The share of the two term sets they have in common (Jaccard).
    static func overlap(_ a: Set<String>, _ b: Set<String>) -> Double {
        let union = a.union(b).count
        return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
    }
}

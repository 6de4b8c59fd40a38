import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Synchronization
import Tenancy

/// What the bot retrieves for a question: the full-text search (`KnowledgeStore.search`), fused
/// with the nearest chunks by embedding when the tenant has an embedding model, by reciprocal
/// rank fusion. Without embeddings — none configured, none stored yet, or the provider failing —
/// it is the full-text search alone.
public final class KnowledgeRetriever: Sendable {
    /// How many candidates each search contributes to the fusion.
    static let candidates = 20
    /// Reciprocal rank fusion's constant (Cormack et al.): a result at rank r scores 1 / (k + r).
    static let fusionK = 60.0

    let database: Database
    let secrets: SecretBox
    let store: KnowledgeStore
    let streamer: ChatStreamer
    public let vectors: KnowledgeVectors
    let logger: Logger

    /// Told when a tenant's stored vectors turned out stale (the embedder's `kick`).
    let onStaleVectors: (@Sendable (UUID) -> Void)?
    /// A vector length the model answered with that differs from the stored ones, per tenant and
    /// source: the stored vectors are forgotten only when the next question's vector has that
    /// length too, so one malformed answer (a truncated vector) never re-embeds a whole knowledge base.
    private let newLengths = Mutex<[String: Int]>([:])

    public init(database: Database, secrets: SecretBox, streamer: ChatStreamer, vectors: KnowledgeVectors = KnowledgeVectors(),
                onStaleVectors: (@Sendable (UUID) -> Void)? = nil, logger: Logger) {
        self.onStaleVectors = onStaleVectors
        self.database = database
        self.secrets = secrets
        self.store = KnowledgeStore(database: database)
        self.streamer = streamer
        self.vectors = vectors
        self.logger = logger
    }

    /// What a search reads besides the question: the provider that embeds (its key opened; nil
    /// without an embedding model) and the generation of the tenant's knowledge.
    public struct EmbeddingContext: Sendable {
        let provider: BotProvider?
        let generation: Int64
    }

    /// The embedding context, read in a transaction the caller has open anyway (the bot's).
    public static func embeddingContext(opening secrets: SecretBox, in tx: TenantTransaction) async throws -> EmbeddingContext {
        // Without an embedding model the generation keys no vectors: not read.
        let provider = try await BotProviderStore.embeddingProvider(opening: secrets, in: tx)
        return EmbeddingContext(provider: provider, generation: provider == nil ? 0 : try await generation(in: tx))
    }

    /// The best `limit` chunks and the best FAQ entry for `question`; `embedding` when the caller
    /// has read it already, else it is read here (beside the full-text search).
    public func search(_ question: String, tenantID: UUID, limit: Int = 4, embedding: EmbeddingContext? = nil) async throws -> Retrieval {
        // Known to be the full-text search alone: no more candidates than are returned.
        let textOnly = embedding.map { $0.provider?.embeddingSource == nil } ?? false
        async let byText = store.search(question, tenantID: tenantID, limit: textOnly ? limit : Self.candidates)
        let secrets = self.secrets
        let context: EmbeddingContext
        if let embedding {
            context = embedding
        } else {
            context = try await database.withTenant(tenantID) { tx in try await Self.embeddingContext(opening: secrets, in: tx) }
        }
        let (provider, generation) = (context.provider, context.generation)
        var found = try await byText
        let textual = Array(found.chunks.prefix(limit))
        guard let provider, let source = provider.embeddingSource else {
            found.chunks = textual
            return found
        }
        do {
            let table = try await table(tenantID: tenantID, source: source, generation: generation)
            guard !table.keys.isEmpty else {
                found.chunks = textual
                return found
            }
            guard let query = try await streamer.embed([question], with: provider).first else { throw BotFailure.provider("no vector") }
            let lengthKey = "\(tenantID) \(source)"
            guard query.count == table.dimensions else {
                // The model now answers with vectors of another length under the same name: the
                // stored ones are of no use, and would never be redone (their source matches).
                let seenBefore = newLengths.withLock { lengths in
                    defer { lengths[lengthKey] = query.count }
                    return lengths[lengthKey] == query.count
                }
                if seenBefore {
                    newLengths.withLock { $0[lengthKey] = nil }
                    try await forgetVectors(source: source, keepingDimensions: query.count, tenantID: tenantID)
                }
                found.chunks = textual
                return found
            }
            newLengths.withLock { if !$0.isEmpty { $0[lengthKey] = nil } }
            let floor = provider.embeddingMinSimilarity
            let nearest = try await NIOThreadPool.singleton.runIfActive {
                table.nearest(query, limit: Self.candidates, floor: floor)
            }
            found.chunks = try await fuse(found.chunks, nearest, tenantID: tenantID, limit: limit)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning("knowledge search without embeddings", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
            found.chunks = textual
        }
        return found
    }

    /// Both rankings fused: each chunk scores the sum of 1 / (k + rank) over the lists it is in.
    private func fuse(_ byText: [Retrieval.Chunk], _ nearest: [(key: KnowledgeVectors.ChunkKey, similarity: Double)], tenantID: UUID,
                      limit: Int) async throws -> [Retrieval.Chunk] {
        var chunks: [KnowledgeVectors.ChunkKey: Retrieval.Chunk] = [:]
        var scores: [KnowledgeVectors.ChunkKey: Double] = [:]
        for (index, chunk) in byText.enumerated() {
            chunks[chunk.key] = chunk
            scores[chunk.key, default: 0] += 1 / (Self.fusionK + Double(index + 1))
        }
        for (index, near) in nearest.enumerated() {
            scores[near.key, default: 0] += 1 / (Self.fusionK + Double(index + 1))
        }
        let best = scores.sorted {
            $0.value != $1.value ? $0.value > $1.value
                : ($0.key.documentID.uuidString, $0.key.ordinal) < ($1.key.documentID.uuidString, $1.key.ordinal)
        }.prefix(limit)
        let missing = best.map(\.key).filter { chunks[$0] == nil }
        if !missing.isEmpty {
            for chunk in try await load(missing, tenantID: tenantID) { chunks[chunk.key] = chunk }
        }
        let similarity = Dictionary(nearest.map { ($0.key, $0.similarity) }) { first, _ in first }
        return best.compactMap { key, score in
            guard var chunk = chunks[key] else { return nil }
            chunk.rank = score
            chunk.similarity = similarity[key]
            return chunk
        }
    }

    private func load(_ keys: [KnowledgeVectors.ChunkKey], tenantID: UUID) async throws -> [Retrieval.Chunk] {
        try await database.withTenant(tenantID) { tx in
            var chunks: [Retrieval.Chunk] = []
            for try await (id, ordinal, title, heading, body) in try await tx.query("""
                SELECT d.id, c.ordinal, d.title, c.heading, c.body
                FROM unnest(\(keys.map(\.documentID)), \(keys.map(\.ordinal))) AS k(document_id, ordinal)
                JOIN knowledge_chunks c ON c.document_id = k.document_id AND c.ordinal = k.ordinal
                JOIN knowledge_documents d ON d.tenant_id = c.tenant_id AND d.id = c.document_id
                """).decode((UUID, Int, String, String, String).self) {
                chunks.append(Retrieval.Chunk(documentID: id, ordinal: ordinal, title: title, heading: heading, text: body, rank: 0))
            }
            return chunks
        }
    }

    /// Drops the tenant's vectors from `source` that are not `dimensions` long, and has the
    /// embedder make them again.
    private func forgetVectors(source: String, keepingDimensions dimensions: Int, tenantID: UUID) async throws {
        let forgotten = try await database.withTenant(tenantID) { tx in
            try await tx.query("""
                UPDATE knowledge_chunks SET embedding = NULL, embedding_source = NULL
                WHERE embedding_source = \(source) AND octet_length(embedding) <> \(dimensions * 2)
                RETURNING 1
                """).collect().count
        }
        logger.warning("the embedding model's vectors changed length; the knowledge is embedded again",
                       metadata: ["tenant": "\(tenantID)", "source": "\(source)", "dimensions": "\(dimensions)", "forgotten": "\(forgotten)"])
        onStaleVectors?(tenantID)
    }

    /// The tenant's vectors from `source`: cached while its knowledge generation stays.
    func table(tenantID: UUID, source: String, generation: Int64) async throws -> KnowledgeVectors.Table {
        if let table = vectors.table(tenantID: tenantID, source: source, generation: generation) { return table }
        // Labelled with the generation read before the rows: a change in between makes the
        // next search see a newer generation and load again, never keep stale rows.
        let table = try await database.withTenant(tenantID) { tx in
            var keys: [KnowledgeVectors.ChunkKey] = []
            var values: [UInt16] = []
            var dimensions = 0
            for try await (documentID, ordinal, vector) in try await tx.query("""
                SELECT document_id, ordinal, embedding FROM knowledge_chunks
                WHERE embedding_source = \(source) AND embedding IS NOT NULL ORDER BY document_id, ordinal
                """).decode((UUID, Int, ByteBuffer).self) {
                if dimensions == 0 { dimensions = vector.readableBytes / 2 }
                guard KnowledgeVectors.decode(vector.readableBytesView, dimensions: dimensions, into: &values) else { continue }
                keys.append(.init(documentID: documentID, ordinal: ordinal))
            }
            return KnowledgeVectors.Table(source: source, generation: generation, dimensions: dimensions, keys: keys, values: values)
        }
        vectors.keep(table, tenantID: tenantID)
        return table
    }

    static func generation(in tx: TenantTransaction) async throws -> Int64 {
        for try await generation in try await tx.query("SELECT generation FROM knowledge_state").decode(Int64.self) {
            return generation
        }
        return 0
    }
}

import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Tenancy

/// Keeps each tenant's knowledge embedded: chunks without a vector from the tenant's current
/// embedding model (see `BotProviderStore.forEmbeddings`) are sent to it in batches and their
/// vectors stored (float16). Told when a tenant's knowledge or providers change (`kick`); at start,
/// and every few minutes, it looks at every tenant, so work left by a stopped node or a failing
/// provider is picked up. Several nodes may embed the same chunk at once: the last vector stays,
/// and a vector is only stored beside the text it was made from.
public final class KnowledgeEmbedder: Service, Sendable {
    static let batchSize = 32
    static let sweepEvery: Duration = .seconds(300)

    let database: Database
    let providers: BotProviderStore
    let streamer: ChatStreamer
    let logger: Logger
    private let kicks: AsyncStream<UUID>
    private let intake: AsyncStream<UUID>.Continuation
    /// Tenants kicked and not yet taken, so a burst of changes embeds once.
    private let waiting = Mutex<Set<UUID>>([])

    public init(database: Database, secrets: SecretBox, streamer: ChatStreamer, logger: Logger) {
        self.database = database
        self.providers = BotProviderStore(database: database, secrets: secrets)
        self.streamer = streamer
        self.logger = logger
        (kicks, intake) = AsyncStream.makeStream(of: UUID.self)
    }

    /// The tenant's knowledge or providers changed: embed what is missing soon.
    public func kick(_ tenantID: UUID) {
        guard waiting.withLock({ $0.insert(tenantID).inserted }) else { return }
        intake.yield(tenantID)
    }

    public func run() async {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.sweepNowAndThen() }
                for await tenantID in kicks {
                    waiting.withLock { _ = $0.remove(tenantID) }
                    await embedMissing(tenantID)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.intake.finish()
        }
    }

    private func sweepNowAndThen() async {
        while !Task.isCancelled {
            if let tenants = try? await TenantDirectory(database: database).activeTenantIDs() {
                for tenantID in tenants { kick(tenantID) }
            }
            try? await Task.sleep(for: Self.sweepEvery)
        }
    }

    /// Embeds the tenant's chunks that lack a current vector, a batch at a time, until none is
    /// left or the provider fails (the next kick or sweep tries again).
    func embedMissing(_ tenantID: UUID) async {
        do {
            guard let provider = try await providers.forEmbeddings(tenantID: tenantID), let source = provider.embeddingSource else { return }
            var previous: KnowledgeVectors.ChunkKey?
            while !Task.isCancelled {
                let batch = try await database.withTenant(tenantID) { tx in
                    var batch: [(documentID: UUID, ordinal: Int, heading: String, body: String)] = []
                    for try await row in try await tx.query("""
                        SELECT document_id, ordinal, heading, body FROM knowledge_chunks
                        WHERE embedding_source IS DISTINCT FROM \(source) ORDER BY document_id, ordinal LIMIT \(Self.batchSize)
                        """).decode((UUID, Int, String, String).self) {
                        batch.append(row)
                    }
                    return batch
                }
                // The same first chunk twice: its vector was not stored (its text changed meanwhile
                // twice over, or it cannot be); leave it to the next kick rather than spin.
                guard let first = batch.first, first.documentID != previous?.documentID || first.ordinal != previous?.ordinal else { return }
                previous = KnowledgeVectors.ChunkKey(documentID: first.documentID, ordinal: first.ordinal)
                let vectors = try await streamer.embed(batch.map { $0.heading + "\n" + $0.body }, with: provider)
                let encoded = vectors.map { Data(KnowledgeVectors.encode($0)).base64EncodedString() }
                try await database.withTenant(tenantID) { tx in
                    try await tx.query("""
                        UPDATE knowledge_chunks c SET embedding = decode(u.embedding, 'base64'), embedding_source = \(source)
                        FROM unnest(\(batch.map(\.documentID)), \(batch.map(\.ordinal)), \(batch.map(\.heading)), \(batch.map(\.body)), \(encoded))
                             AS u(document_id, ordinal, heading, body, embedding)
                        WHERE c.document_id = u.document_id AND c.ordinal = u.ordinal AND c.heading = u.heading AND c.body = u.body
                        """)
                }
            }
        } catch {
            logger.warning("embedding the tenant's knowledge failed; it is tried again later", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
        }
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore

extension ChatStreamer {
    /// Longest text sent to be embedded (embedding models take about 8,000 tokens).
    static let maximumEmbeddedCharacters = 6_000

    /// The vectors of `texts` from `provider`'s embedding model, one per text, in order; bounded
    /// by the provider's first-token timeout. Not counted against its breaker or limits: a
    /// failed embedding only leaves retrieval to full-text search.
    /// - Throws: `BotFailure`.
    public func embed(_ texts: [String], with provider: BotProvider) async throws -> [[Float]] {
        guard !provider.embeddingModel.isEmpty else { throw BotFailure.provider("the provider has no embedding model") }
        guard !texts.isEmpty else { return [] }
        let request = try ProviderWire.embeddingRequest(for: provider, texts: texts.map { String($0.prefix(Self.maximumEmbeddedCharacters)) })
        guard let client = client(connectTimeout: provider.connectTimeout) else { throw BotFailure.provider("the server is shutting down") }
        let timeout = provider.firstTokenTimeout
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .milliseconds(Int64(timeout.wholeMilliseconds)))
            body = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw BotFailure.provider(Self.describe(error))
        }
        guard response.status == .ok else {
            throw BotFailure.provider("HTTP \(response.status.code): \(ProviderWire.errorMessage(body))")
        }
        guard let vectors = ProviderWire.embeddings(body, count: texts.count) else {
            throw BotFailure.provider("the embeddings answer is not one vector per text")
        }
        return vectors
    }
}

import Foundation
import PostgresNIO
import Tenancy

/// A/B tests between providers. A provider with a split (`splitProviderID`, `splitPercent`) sends
/// that share of the new conversations it would answer to the other provider (arm b) and keeps
/// the rest (arm a). The arm is drawn once per conversation from its id, recorded with the
/// conversation and kept for its life; results are counted per arm from those records.
public struct BotArmResults: Sendable, Equatable {
    public var arm: String
    /// The providers that answered this arm's conversations (more than one if the split changed).
    public var providerIDs: [UUID]
    public var conversations: Int
    public var handedOff: Int
    /// Handoffs by reason (`keyword`, `no-answer`, …).
    public var handoffs: [String: Int]
    public var ratings: Int
    public var averageRating: Double?
}

extension BotProviderStore {
    /// The provider that answers `conversationID`, its key opened: the one it recorded when the bot
    /// first answered there; else the widget's provider (or the tenant's default), or the split's
    /// other arm, recorded now. Nil when there is none. Inside the caller's transaction (the bot
    /// reads it with the conversation's context, one round trip before the provider is asked).
    static func answering(_ conversationID: UUID, widgetProviderID: UUID?, opening secrets: SecretBox,
                          in tx: TenantTransaction) async throws -> BotProvider? {
        for try await recorded in try await tx.query("SELECT bot_provider_id FROM conversations WHERE id = \(conversationID)").decode(UUID?.self) {
            if let recorded, let provider = try? await Self.load(recorded, opening: secrets, in: tx) { return provider }
        }
        guard let first = try await Self.widgetProvider(widgetProviderID, opening: secrets, in: tx) else { return nil }
        var chosen = first
        var experiment: (id: UUID, arm: String)?
        if let split = first.splitProviderID, first.splitPercent > 0, let other = try? await Self.load(split, opening: secrets, in: tx) {
            let inB = Self.bucket(conversationID) < first.splitPercent
            if inB { chosen = other }
            experiment = (first.id, inB ? "b" : "a")
        }
        try await tx.query("""
            UPDATE conversations SET bot_provider_id = \(chosen.id), bot_experiment_id = \(experiment?.id), bot_arm = \(experiment?.arm)
            WHERE id = \(conversationID) AND bot_provider_id IS NULL
            """)
        return chosen
    }

    /// The widget's own provider, else the tenant's default.
    static func widgetProvider(_ providerID: UUID?, opening secrets: SecretBox, in tx: TenantTransaction) async throws -> BotProvider? {
        if let providerID, let provider = try? await load(providerID, opening: secrets, in: tx) { return provider }
        for try await id in try await tx.query("SELECT id FROM llm_providers WHERE is_default").decode(UUID.self) {
            return try await load(id, opening: secrets, in: tx)
        }
        return nil
    }

    /// Whether `widgetProvider` would find a provider: the widget's own, or the tenant's default.
    static func hasProvider(_ providerID: UUID?, in tx: TenantTransaction) async throws -> Bool {
        for try await exists in try await tx.query("""
            SELECT EXISTS (SELECT 1 FROM llm_providers WHERE id = \(providerID) OR is_default)
            """).decode(Bool.self) {
            return exists
        }
        return false
    }

    /// A conversation's place (0–99) in a split, from its random id: stable, evenly spread.
    static func bucket(_ conversationID: UUID) -> Int {
        let bytes = conversationID.uuid
        return (Int(bytes.0) << 8 | Int(bytes.1)) % 100
    }

    /// Both arms of the A/B test `providerID` runs (or ran), counted over the conversations
    /// created since `since` (all when nil).
    public func experimentResults(_ providerID: UUID, since: Date?, tenantID: UUID) async throws -> (provider: BotProvider, arms: [BotArmResults]) {
        try await database.withTenant(tenantID) { tx in
            let provider = try await Self.load(providerID, in: tx)
            var arms = ["a", "b"].map { BotArmResults(arm: $0, providerIDs: [], conversations: 0, handedOff: 0, handoffs: [:], ratings: 0, averageRating: nil) }
            let since = since ?? Date(timeIntervalSince1970: 0)
            for try await (arm, providerIDs, conversations, handedOff, ratings, average) in try await tx.query("""
                SELECT bot_arm, array_agg(DISTINCT bot_provider_id), count(*)::int, count(handoff_reason)::int, count(csat_rating)::int,
                       avg(csat_rating)::float8
                FROM conversations WHERE bot_experiment_id = \(providerID) AND created_at >= \(since) GROUP BY bot_arm
                """).decode((String, [UUID], Int, Int, Int, Double?).self) {
                guard let index = arms.firstIndex(where: { $0.arm == arm }) else { continue }
                arms[index].providerIDs = providerIDs
                arms[index].conversations = conversations
                arms[index].handedOff = handedOff
                arms[index].ratings = ratings
                arms[index].averageRating = average
            }
            for try await (arm, reason, count) in try await tx.query("""
                SELECT bot_arm, handoff_reason, count(*)::int FROM conversations
                WHERE bot_experiment_id = \(providerID) AND created_at >= \(since) AND handoff_reason IS NOT NULL GROUP BY 1, 2
                """).decode((String, String, Int).self) {
                guard let index = arms.firstIndex(where: { $0.arm == arm }) else { continue }
                arms[index].handoffs[reason] = count
            }
            return (provider, arms)
        }
    }
}

import Auth
import Foundation
import PostgresNIO
import Tenancy

/// A tenant's LLM providers as administrators manage them (`llm.manage`): validated whole before
/// anything is written, the API key sealed at rest and never returned (its last four characters
/// only), every change audited without the key. At most one provider is the tenant's default.
public struct BotProviderStore: Sendable {
    /// Where API keys are stored, sealed.
    public static let apiKeyColumn = SecretColumn(table: "llm_providers", name: "api_key")

    let database: Database
    let secrets: SecretBox

    public init(database: Database, secrets: SecretBox) {
        self.database = database
        self.secrets = secrets
    }

    /// A provider's fields; on update, `nil` ones stay as they are.
    public struct Fields: Sendable {
        public var name: String?
        public var kind: BotProvider.Kind?
        public var baseURL: String?
        public var model: String?
        public var deployment: String?
        public var apiVersion: String?
        /// `.some(nil)` removes the key.
        public var apiKey: String??
        public var systemPrompt: String?
        public var temperature: Double?
        public var maxTokens: Int?
        public var connectTimeoutMs: Int?
        public var firstTokenTimeoutMs: Int?
        public var totalTimeoutMs: Int?
        public var maxBotTurns: Int?
        public var handoffKeywords: [String]?
        /// `.some(nil)` removes the fallback.
        public var fallbackProviderID: UUID??
        public var maxConcurrent: Int?
        public var requestsPerMinute: Int?
        public var isDefault: Bool?
        public var embeddingModel: String?
        public var embeddingMinSimilarity: Double?
        /// `.some(nil)` ends the A/B test.
        public var splitProviderID: UUID??
        public var splitPercent: Int?

        public init() {}
    }

    public func list(page: PageRequest, tenantID: UUID) async throws -> Page<BotProvider> {
        try await database.keysetPage(page, tenantID: tenantID, columns: Self.columns, from: "llm_providers", decode: Self.decode)
    }

    public func get(_ id: UUID, tenantID: UUID) async throws -> BotProvider {
        try await database.withTenant(tenantID) { tx in try await Self.load(id, in: tx) }
    }

    /// The provider with its key opened, for a request to it.
    public func withKey(_ id: UUID, tenantID: UUID) async throws -> BotProvider {
        let secrets = self.secrets
        return try await database.withTenant(tenantID) { tx in try await Self.load(id, opening: secrets, in: tx) }
    }

    /// The provider that embeds the tenant's knowledge, its key opened: the default provider
    /// when it has an embedding model, else the oldest that has one; nil when none has.
    public func forEmbeddings(tenantID: UUID) async throws -> BotProvider? {
        let secrets = self.secrets
        return try await database.withTenant(tenantID) { tx in try await Self.embeddingProvider(opening: secrets, in: tx) }
    }

    static func embeddingProvider(opening secrets: SecretBox, in tx: TenantTransaction) async throws -> BotProvider? {
        for try await id in try await tx.query("""
            SELECT id FROM llm_providers WHERE embedding_model <> '' ORDER BY is_default DESC, created_at, id LIMIT 1
            """).decode(UUID.self) {
            return try await load(id, opening: secrets, in: tx)
        }
        return nil
    }

    public func create(_ fields: Fields, by caller: Principal, origin: RequestOrigin) async throws -> BotProvider {
        guard let name = fields.name else { throw InvalidFields(field: "name", message: "is required") }
        guard let kind = fields.kind else { throw InvalidFields(field: "kind", message: "is required") }
        guard let baseURL = fields.baseURL else { throw InvalidFields(field: "baseUrl", message: "is required") }
        var provider = BotProvider(name: name, kind: kind, baseURL: baseURL)
        Self.apply(fields, to: &provider)
        try BotProviderValidation.validate(provider, fields: fields)
        let sealed = try seal(provider.apiKey, tenantID: caller.tenantID, providerID: provider.id)
        return try await database.withTenant(caller.tenantID) { tx in
            try await Self.checkFallback(provider, in: tx)
            if provider.isDefault { try await tx.query("UPDATE llm_providers SET is_default = false WHERE is_default") }
            try await tx.query("""
                INSERT INTO llm_providers (tenant_id, id, name, kind, base_url, model, deployment, api_version, api_key_sealed, api_key_key_id,
                    api_key_last4, system_prompt, temperature, max_tokens, connect_timeout_ms, first_token_timeout_ms, total_timeout_ms,
                    max_bot_turns, handoff_keywords, fallback_provider_id, max_concurrent, requests_per_minute, is_default,
                    embedding_model, embedding_min_similarity, split_provider_id, split_percent)
                VALUES (\(tx.tenantID), \(provider.id), \(provider.name), \(provider.kind.rawValue), \(provider.baseURL), \(provider.model),
                    \(provider.deployment), \(provider.apiVersion), \(sealed?.ciphertext), \(sealed?.keyID), \(provider.apiKeyLast4),
                    \(provider.systemPrompt), \(provider.temperature), \(provider.maxTokens), \(provider.connectTimeout.wholeMilliseconds),
                    \(provider.firstTokenTimeout.wholeMilliseconds), \(provider.totalTimeout.wholeMilliseconds), \(provider.maxBotTurns),
                    \(provider.handoffKeywords), \(provider.fallbackProviderID), \(provider.maxConcurrent), \(provider.requestsPerMinute),
                    \(provider.isDefault), \(provider.embeddingModel), \(provider.embeddingMinSimilarity),
                    \(provider.splitProviderID), \(provider.splitPercent))
                """)
            try await AuditLog.append(AuditEvent(
                action: "llm_provider.created", actor: caller.actor, targetType: "llm_provider", targetID: provider.id.lowercased,
                changes: Self.differences(nil, provider), ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return try await Self.load(provider.id, in: tx)
        }
    }

    public func update(_ id: UUID, _ fields: Fields, by caller: Principal, origin: RequestOrigin) async throws -> BotProvider {
        let secrets = self.secrets
        return try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.load(id, lock: true, in: tx)
            var after = before
            Self.apply(fields, to: &after)
            // The key goes only where it was given for: a new host or kind without a new key
            // loses it (else anyone with llm.manage could send it to a server of their own).
            var fields = fields
            if fields.apiKey == nil, before.hasAPIKey, Self.destination(after) != Self.destination(before) {
                fields.apiKey = .some(nil)
                after.apiKey = nil
            }
            try BotProviderValidation.validate(after, fields: fields)
            try await Self.checkFallback(after, in: tx)
            if after.isDefault, !before.isDefault { try await tx.query("UPDATE llm_providers SET is_default = false WHERE is_default") }
            try await tx.query("""
                UPDATE llm_providers SET name = \(after.name), kind = \(after.kind.rawValue), base_url = \(after.baseURL), model = \(after.model),
                    deployment = \(after.deployment), api_version = \(after.apiVersion), system_prompt = \(after.systemPrompt),
                    temperature = \(after.temperature), max_tokens = \(after.maxTokens),
                    connect_timeout_ms = \(after.connectTimeout.wholeMilliseconds), first_token_timeout_ms = \(after.firstTokenTimeout.wholeMilliseconds),
                    total_timeout_ms = \(after.totalTimeout.wholeMilliseconds), max_bot_turns = \(after.maxBotTurns),
                    handoff_keywords = \(after.handoffKeywords), fallback_provider_id = \(after.fallbackProviderID),
                    max_concurrent = \(after.maxConcurrent), requests_per_minute = \(after.requestsPerMinute), is_default = \(after.isDefault),
                    embedding_model = \(after.embeddingModel), embedding_min_similarity = \(after.embeddingMinSimilarity),
                    split_provider_id = \(after.splitProviderID), split_percent = \(after.splitPercent), updated_at = now()
                WHERE id = \(id)
                """)
            if let newKey = fields.apiKey {
                let sealed = try newKey.map { try secrets.seal(Data($0.utf8), at: Self.apiKeyColumn.location(tenantID: tx.tenantID, rowID: id)) }
                try await tx.query("""
                    UPDATE llm_providers SET api_key_sealed = \(sealed?.ciphertext), api_key_key_id = \(sealed?.keyID),
                        api_key_last4 = \(newKey.map(BotProvider.last4(of:)) ?? "")
                    WHERE id = \(id)
                    """)
                after.apiKeyLast4 = newKey.map(BotProvider.last4(of:)) ?? ""
                after.hasAPIKey = newKey != nil
            }
            var changes = Self.differences(before, after)
            if fields.apiKey != nil { changes["apiKey"] = .init(from: nil, to: fields.apiKey! == nil ? "removed" : "replaced") }
            if !changes.isEmpty {
                try await AuditLog.append(AuditEvent(
                    action: "llm_provider.updated", actor: caller.actor, targetType: "llm_provider", targetID: id.lowercased,
                    changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return try await Self.load(id, in: tx)
        }
    }

    public func delete(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let provider = try await Self.load(id, lock: true, in: tx)
            try await tx.query("UPDATE llm_providers SET fallback_provider_id = NULL WHERE fallback_provider_id = \(id)")
            try await tx.query("UPDATE llm_providers SET split_provider_id = NULL, split_percent = 0 WHERE split_provider_id = \(id)")
            try await tx.query("UPDATE widgets SET bot_provider_id = NULL WHERE bot_provider_id = \(id)")
            try await tx.query("DELETE FROM llm_providers WHERE id = \(id)")
            try await AuditLog.append(AuditEvent(
                action: "llm_provider.deleted", actor: caller.actor, targetType: "llm_provider", targetID: id.lowercased,
                changes: ["name": .init(from: provider.name, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    // MARK: - Helpers

    func seal(_ key: String?, tenantID: UUID, providerID: UUID) throws -> SealedSecret? {
        try key.map { try secrets.seal(Data($0.utf8), at: Self.apiKeyColumn.location(tenantID: tenantID, rowID: providerID)) }
    }

    static func apply(_ fields: Fields, to provider: inout BotProvider) {
        if let name = fields.name { provider.name = name }
        if let kind = fields.kind { provider.kind = kind }
        if let baseURL = fields.baseURL { provider.baseURL = baseURL }
        if let model = fields.model { provider.model = model }
        if let deployment = fields.deployment { provider.deployment = deployment }
        if let apiVersion = fields.apiVersion { provider.apiVersion = apiVersion }
        if let apiKey = fields.apiKey {
            provider.apiKey = apiKey
            provider.apiKeyLast4 = apiKey.map(BotProvider.last4(of:)) ?? ""
            provider.hasAPIKey = apiKey != nil
        }
        if let systemPrompt = fields.systemPrompt { provider.systemPrompt = systemPrompt }
        if let temperature = fields.temperature { provider.temperature = temperature }
        if let maxTokens = fields.maxTokens { provider.maxTokens = maxTokens }
        if let value = fields.connectTimeoutMs { provider.connectTimeout = .milliseconds(value) }
        if let value = fields.firstTokenTimeoutMs { provider.firstTokenTimeout = .milliseconds(value) }
        if let value = fields.totalTimeoutMs { provider.totalTimeout = .milliseconds(value) }
        if let maxBotTurns = fields.maxBotTurns { provider.maxBotTurns = maxBotTurns }
        if let keywords = fields.handoffKeywords { provider.handoffKeywords = keywords }
        if let fallback = fields.fallbackProviderID { provider.fallbackProviderID = fallback }
        if let maxConcurrent = fields.maxConcurrent { provider.maxConcurrent = maxConcurrent }
        if let rate = fields.requestsPerMinute { provider.requestsPerMinute = rate }
        if let isDefault = fields.isDefault { provider.isDefault = isDefault }
        if let model = fields.embeddingModel { provider.embeddingModel = model }
        if let similarity = fields.embeddingMinSimilarity { provider.embeddingMinSimilarity = similarity }
        if let split = fields.splitProviderID { provider.splitProviderID = split }
        if let percent = fields.splitPercent { provider.splitPercent = percent }
    }

    /// Where a provider's requests go: its kind, scheme, host and port.
    static func destination(_ provider: BotProvider) -> String {
        let url = URL(string: provider.baseURL)
        return "\(provider.kind.rawValue) \(url?.scheme?.lowercased() ?? "") \(url?.host?.lowercased() ?? "") \(url?.port.map(String.init) ?? "")"
    }

    /// The providers a provider names (its fallback, its A/B arm) are the tenant's.
    static func checkFallback(_ provider: BotProvider, in tx: TenantTransaction) async throws {
        for (field, id) in [("fallbackProviderId", provider.fallbackProviderID), ("splitProviderId", provider.splitProviderID)] {
            guard let id else { continue }
            for try await count in try await tx.query("SELECT count(*)::int FROM llm_providers WHERE id = \(id)").decode(Int.self) where count == 0 {
                throw InvalidFields(field: field, message: "is not a provider of this tenant")
            }
        }
    }

    static let columns = """
        id, name, kind, base_url, model, deployment, api_version, api_key_last4, system_prompt, temperature, max_tokens,
        connect_timeout_ms, first_token_timeout_ms, total_timeout_ms, max_bot_turns, handoff_keywords, fallback_provider_id, max_concurrent,
        requests_per_minute, is_default, api_key_sealed, api_key_key_id, (extract(epoch FROM created_at) * 1000000)::bigint,
        embedding_model, embedding_min_similarity, split_provider_id, split_percent
        """

    static func load(_ id: UUID, lock: Bool = false, opening secrets: SecretBox? = nil, in tx: TenantTransaction) async throws -> BotProvider {
        let rows = try await tx.query("SELECT \(unescaped: columns) FROM llm_providers WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        guard var provider = try await decode(rows, opening: secrets, tenantID: tx.tenantID).first?.item else { throw RealtimeError.botProviderNotFound }
        if secrets == nil { provider.apiKey = nil }
        return provider
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [(item: BotProvider, cursor: PageCursor)] {
        try await decode(rows, opening: nil, tenantID: nil)
    }

    /// Rows as providers; keys are opened only with `secrets` (and the row's tenant).
    static func decode(_ rows: PostgresRowSequence, opening secrets: SecretBox?, tenantID: UUID?) async throws -> [(item: BotProvider, cursor: PageCursor)] {
        var providers: [(item: BotProvider, cursor: PageCursor)] = []
        for try await row in rows {
            let columns = row.makeRandomAccess()
            let id = try columns[0].decode(UUID.self)
            let name = try columns[1].decode(String.self)
            let kind = try columns[2].decode(String.self)
            let baseURL = try columns[3].decode(String.self)
            let model = try columns[4].decode(String.self)
            let deployment = try columns[5].decode(String.self)
            let apiVersion = try columns[6].decode(String.self)
            let last4 = try columns[7].decode(String.self)
            let systemPrompt = try columns[8].decode(String.self)
            let temperature = try columns[9].decode(Double.self)
            let maxTokens = try columns[10].decode(Int.self)
            let connect = try columns[11].decode(Int.self)
            let firstToken = try columns[12].decode(Int.self)
            let total = try columns[13].decode(Int.self)
            let turns = try columns[14].decode(Int.self)
            let keywords = try columns[15].decode([String].self)
            let fallback = try columns[16].decode(UUID?.self)
            let concurrent = try columns[17].decode(Int.self)
            let rate = try columns[18].decode(Int.self)
            let isDefault = try columns[19].decode(Bool.self)
            let sealedKey = try columns[20].decode(Data?.self)
            let keyID = try columns[21].decode(String?.self)
            let micros = try columns[22].decode(Int64.self)
            let embeddingModel = try columns[23].decode(String.self)
            let minSimilarity = try columns[24].decode(Double.self)
            let splitProviderID = try columns[25].decode(UUID?.self)
            let splitPercent = try columns[26].decode(Int.self)
            var apiKey: String?
            if let secrets, let tenantID, let sealedKey, let keyID {
                apiKey = try secrets.openText(SealedSecret(keyID: keyID, ciphertext: sealedKey), at: apiKeyColumn.location(tenantID: tenantID, rowID: id))
            }
            var provider = BotProvider(
                id: id, name: name, kind: BotProvider.Kind(rawValue: kind) ?? .openAICompatible, baseURL: baseURL, model: model,
                deployment: deployment, apiVersion: apiVersion, apiKey: apiKey, apiKeyLast4: last4, systemPrompt: systemPrompt,
                temperature: temperature, maxTokens: maxTokens, connectTimeout: .milliseconds(connect), firstTokenTimeout: .milliseconds(firstToken),
                totalTimeout: .milliseconds(total), maxBotTurns: turns, handoffKeywords: keywords, fallbackProviderID: fallback,
                maxConcurrent: concurrent, requestsPerMinute: rate, isDefault: isDefault, embeddingModel: embeddingModel,
                embeddingMinSimilarity: minSimilarity, splitProviderID: splitProviderID, splitPercent: splitPercent)
            provider.hasAPIKey = sealedKey != nil
            providers.append((provider, PageCursor(createdAtMicros: micros, id: id)))
        }
        return providers
    }

    static func differences(_ before: BotProvider?, _ after: BotProvider) -> [String: AuditChange] {
        var changes: [String: AuditChange] = [:]
        func note(_ field: String, _ old: String?, _ new: String?) {
            if old != new { changes[field] = .init(from: old, to: new) }
        }
        note("name", before?.name, after.name)
        note("kind", before?.kind.rawValue, after.kind.rawValue)
        note("baseUrl", before?.baseURL, after.baseURL)
        note("model", before?.model, after.model)
        note("deployment", before?.deployment, after.deployment)
        note("apiVersion", before?.apiVersion, after.apiVersion)
        note("systemPrompt", before.map { "\($0.systemPrompt.count) characters" }, "\(after.systemPrompt.count) characters")
        note("temperature", before.map { String($0.temperature) }, String(after.temperature))
        note("maxTokens", before.map { String($0.maxTokens) }, String(after.maxTokens))
        note("timeouts", before.map(timeouts), timeouts(after))
        note("maxBotTurns", before.map { String($0.maxBotTurns) }, String(after.maxBotTurns))
        note("handoffKeywords", before?.handoffKeywords.joined(separator: " | "), after.handoffKeywords.joined(separator: " | "))
        note("fallbackProviderId", before?.fallbackProviderID?.lowercased, after.fallbackProviderID?.lowercased)
        note("limits", before.map(limits), limits(after))
        note("isDefault", before.map { String($0.isDefault) }, String(after.isDefault))
        note("embeddingModel", before?.embeddingModel, after.embeddingModel)
        note("split", before.map(split), split(after))
        note("embeddingMinSimilarity", before.map { String($0.embeddingMinSimilarity) }, String(after.embeddingMinSimilarity))
        if before == nil, !after.apiKeyLast4.isEmpty || after.apiKey != nil { changes["apiKey"] = .init(from: nil, to: "set") }
        return changes
    }

    private static func timeouts(_ provider: BotProvider) -> String {
        "connect \(provider.connectTimeout.wholeMilliseconds) ms, first token \(provider.firstTokenTimeout.wholeMilliseconds) ms, total \(provider.totalTimeout.wholeMilliseconds) ms"
    }

    private static func split(_ provider: BotProvider) -> String {
        provider.splitProviderID.map { "\($0.lowercased): \(provider.splitPercent)%" } ?? "none"
    }

    private static func limits(_ provider: BotProvider) -> String {
        "\(provider.maxConcurrent) at once, \(provider.requestsPerMinute) a minute"
    }
}

import Foundation
import Tenancy

/// One of a tenant's LLM providers: where its bot's answers come from, and how the bot behaves
/// with it (prompt, limits, when to hand over to people).
public struct BotProvider: Sendable, Equatable {
    /// The wire format the provider speaks.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// `POST {baseURL}/chat/completions`, bearer key: OpenAI, DeepSeek, Qwen (compatible
        /// mode), Moonshot, GLM, Ollama, vLLM.
        case openAICompatible = "openai-compatible"
        /// `POST {baseURL}/openai/deployments/{deployment}/chat/completions?api-version=…`,
        /// `api-key` header.
        case azureOpenAI = "azure-openai"
        /// A Dify app: `POST {baseURL}/chat-messages` in streaming mode, bearer app key.
        case dify
    }

    public var id: UUID
    public var name: String
    public var kind: Kind
    public var baseURL: String
    public var model: String
    public var deployment: String
    public var apiVersion: String
    /// The key in the clear: only ever in memory, opened from its sealed column when a request
    /// needs it; never in a response, a log line or the audit log.
    public var apiKey: String?
    /// The key's last four characters (empty without a key, or for a key too short to hide the
    /// rest), to tell keys apart without showing them.
    public var apiKeyLast4: String
    /// Whether a key is stored.
    public var hasAPIKey: Bool
    public var systemPrompt: String
    public var temperature: Double
    public var maxTokens: Int
    public var connectTimeout: Duration
    public var firstTokenTimeout: Duration
    public var totalTimeout: Duration
    /// Bot answers in one conversation before it hands over (`max-turns`).
    public var maxBotTurns: Int
    /// A visitor message containing one of these (folded, as sensitive words are) hands over
    /// at once (`keyword`).
    public var handoffKeywords: [String]
    /// Tried when this one fails before its first token, or while its breaker is open.
    public var fallbackProviderID: UUID?
    public var maxConcurrent: Int
    public var requestsPerMinute: Int
    public var isDefault: Bool
    /// The model that embeds the tenant's knowledge and visitors' questions for retrieval
    /// (openai-compatible: `POST {baseURL}/embeddings`; azure-openai: the embedding deployment's
    /// name); empty for none. Dify apps hold their own knowledge and embed nothing here.
    public var embeddingModel: String
    /// A chunk less similar than this (cosine) to a question is not a match, however it ranks.
    public var embeddingMinSimilarity: Double
    /// An A/B test: this share (0–100) of the new conversations this provider would answer go to
    /// `splitProviderID` instead; each conversation keeps its arm.
    public var splitProviderID: UUID?
    public var splitPercent: Int

    public init(id: UUID = UUID(), name: String, kind: Kind, baseURL: String, model: String = "", deployment: String = "",
                apiVersion: String = "", apiKey: String? = nil, apiKeyLast4: String = "", systemPrompt: String = "", temperature: Double = 0.3, maxTokens: Int = 800,
                connectTimeout: Duration = .seconds(5), firstTokenTimeout: Duration = .seconds(15), totalTimeout: Duration = .seconds(60),
                maxBotTurns: Int = 10, handoffKeywords: [String] = ["人工", "转人工", "human", "agent"], fallbackProviderID: UUID? = nil,
                maxConcurrent: Int = 20, requestsPerMinute: Int = 600, isDefault: Bool = false, embeddingModel: String = "",
                embeddingMinSimilarity: Double = 0.45, splitProviderID: UUID? = nil, splitPercent: Int = 0) {
        self.id = id
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.model = model
        self.deployment = deployment
        self.apiVersion = apiVersion
        self.apiKey = apiKey
        self.apiKeyLast4 = apiKeyLast4
        self.hasAPIKey = apiKey != nil
        self.systemPrompt = systemPrompt
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.connectTimeout = connectTimeout
        self.firstTokenTimeout = firstTokenTimeout
        self.totalTimeout = totalTimeout
        self.maxBotTurns = maxBotTurns
        self.handoffKeywords = handoffKeywords
        self.fallbackProviderID = fallbackProviderID
        self.maxConcurrent = maxConcurrent
        self.requestsPerMinute = requestsPerMinute
        self.isDefault = isDefault
        self.embeddingModel = embeddingModel
        self.embeddingMinSimilarity = embeddingMinSimilarity
        self.splitProviderID = splitProviderID
        self.splitPercent = splitPercent
    }

    /// What made a stored vector: vectors from different models are never compared.
    public var embeddingSource: String? {
        embeddingModel.isEmpty ? nil : "\(id.uuidString.lowercased())/\(embeddingModel)"
    }

    /// What `apiKeyLast4` shows of `key`: nothing of a key too short to hide the rest.
    static func last4(of key: String) -> String {
        key.count >= 12 ? String(key.suffix(4)) : ""
    }
}

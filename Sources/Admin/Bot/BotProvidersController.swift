import Auth
import Foundation
import Hummingbird
import Synchronization
import Realtime
import Tenancy

/// `/api/v1/llm/providers`: the tenant's LLM providers (`llm.manage`). The API key goes in and
/// never comes out: answers show its last four characters only. `POST …/{id}/test` makes a real
/// round trip and reports its latency or the provider's error.
public struct BotProvidersController: Sendable {
    let providers: BotProviderStore
    let streamer: ChatStreamer
    /// Told of every change: a new embedding model re-embeds the tenant's knowledge.
    let embedder: KnowledgeEmbedder
    /// What welcomes remember of the tenant's providers, forgotten at each change.
    let presence: ProviderPresence
    let maxBodyBytes: Int

    public init(providers: BotProviderStore, streamer: ChatStreamer, embedder: KnowledgeEmbedder, presence: ProviderPresence, maxBodyBytes: Int) {
        self.presence = presence
        self.providers = providers
        self.streamer = streamer
        self.embedder = embedder
        self.maxBodyBytes = maxBodyBytes
    }

    struct ProviderView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let name: String
        let kind: BotProvider.Kind
        let baseUrl: String
        let model: String
        let deployment: String
        let apiVersion: String
        let hasApiKey: Bool
        /// The key's last four characters (empty for a short key): never the key.
        let apiKeyLast4: String
        let systemPrompt: String
        let temperature: Double
        let maxTokens: Int
        let connectTimeoutMs: Int
        let firstTokenTimeoutMs: Int
        let totalTimeoutMs: Int
        let maxBotTurns: Int
        let handoffKeywords: [String]
        let fallbackProviderId: UUID?
        let maxConcurrent: Int
        let requestsPerMinute: Int
        let isDefault: Bool
        let embeddingModel: String
        let embeddingMinSimilarity: Double
        let splitProviderId: UUID?
        let splitPercent: Int

        init(_ provider: BotProvider) {
            id = provider.id
            name = provider.name
            kind = provider.kind
            baseUrl = provider.baseURL
            model = provider.model
            deployment = provider.deployment
            apiVersion = provider.apiVersion
            hasApiKey = provider.hasAPIKey
            apiKeyLast4 = provider.apiKeyLast4
            systemPrompt = provider.systemPrompt
            temperature = provider.temperature
            maxTokens = provider.maxTokens
            connectTimeoutMs = provider.connectTimeout.wholeMilliseconds
            firstTokenTimeoutMs = provider.firstTokenTimeout.wholeMilliseconds
            totalTimeoutMs = provider.totalTimeout.wholeMilliseconds
            maxBotTurns = provider.maxBotTurns
            handoffKeywords = provider.handoffKeywords
            fallbackProviderId = provider.fallbackProviderID
            maxConcurrent = provider.maxConcurrent
            requestsPerMinute = provider.requestsPerMinute
            isDefault = provider.isDefault
            embeddingModel = provider.embeddingModel
            embeddingMinSimilarity = provider.embeddingMinSimilarity
            splitProviderId = provider.splitProviderID
            splitPercent = provider.splitPercent
        }
    }

    /// Create and change share one body; on change absent fields keep their value, and
    /// `apiKey: null` (or `fallbackProviderId: null`) removes it.
    struct FieldsRequest: APIRequestBody {
        var fields = BotProviderStore.Fields()

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, kind, baseUrl, model, deployment, apiVersion, apiKey, systemPrompt, temperature, maxTokens, connectTimeoutMs
            case firstTokenTimeoutMs, totalTimeoutMs, maxBotTurns, handoffKeywords, fallbackProviderId, maxConcurrent, requestsPerMinute, isDefault
            case embeddingModel, embeddingMinSimilarity, splitProviderId, splitPercent
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            fields.name = try container.decodeIfPresent(String.self, forKey: .name)
            fields.kind = try container.decodeIfPresent(BotProvider.Kind.self, forKey: .kind)
            fields.baseURL = try container.decodeIfPresent(String.self, forKey: .baseUrl)
            fields.model = try container.decodeIfPresent(String.self, forKey: .model)
            fields.deployment = try container.decodeIfPresent(String.self, forKey: .deployment)
            fields.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
            if container.contains(.apiKey) { fields.apiKey = .some(try container.decodeIfPresent(String.self, forKey: .apiKey)) }
            fields.systemPrompt = try container.decodeIfPresent(String.self, forKey: .systemPrompt)
            fields.temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
            fields.maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
            fields.connectTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .connectTimeoutMs)
            fields.firstTokenTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .firstTokenTimeoutMs)
            fields.totalTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .totalTimeoutMs)
            fields.maxBotTurns = try container.decodeIfPresent(Int.self, forKey: .maxBotTurns)
            fields.handoffKeywords = try container.decodeIfPresent([String].self, forKey: .handoffKeywords)
            if container.contains(.fallbackProviderId) {
                fields.fallbackProviderID = .some(try container.decodeIfPresent(UUID.self, forKey: .fallbackProviderId))
            }
            fields.maxConcurrent = try container.decodeIfPresent(Int.self, forKey: .maxConcurrent)
            fields.requestsPerMinute = try container.decodeIfPresent(Int.self, forKey: .requestsPerMinute)
            fields.isDefault = try container.decodeIfPresent(Bool.self, forKey: .isDefault)
            fields.embeddingModel = try container.decodeIfPresent(String.self, forKey: .embeddingModel)
            fields.embeddingMinSimilarity = try container.decodeIfPresent(Double.self, forKey: .embeddingMinSimilarity)
            if container.contains(.splitProviderId) {
                fields.splitProviderID = .some(try container.decodeIfPresent(UUID.self, forKey: .splitProviderId))
            }
            fields.splitPercent = try container.decodeIfPresent(Int.self, forKey: .splitPercent)
        }
    }

    struct TestView: ResponseEncodable {
        let ok: Bool
        /// From sending the request to the first token, and to the end of the answer.
        let firstTokenMs: Int?
        let totalMs: Int?
        /// The start of the answer (at most 200 characters).
        let answer: String?
        /// What went wrong: the provider's own message where it gave one.
        let error: String?
    }

    struct ExperimentView: ResponseEncodable {
        struct Arm: Encodable {
            let arm: String
            let providerIds: [UUID]
            let conversations: Int
            let handedOff: Int
            /// handedOff / conversations (0 without conversations).
            let handoffRate: Double
            let handoffs: [String: Int]
            let ratings: Int
            let averageRating: Double?
        }

        let providerId: UUID
        let splitProviderId: UUID?
        let splitPercent: Int
        let arms: [Arm]
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "llm/providers", access: .permission(.llmManage), use: list)
        group.on(.post, "llm/providers", access: .permission(.llmManage), use: create)
        group.on(.get, "llm/providers/{id}", access: .permission(.llmManage), use: get)
        group.on(.patch, "llm/providers/{id}", access: .permission(.llmManage), use: update)
        group.on(.delete, "llm/providers/{id}", access: .permission(.llmManage), use: delete)
        group.on(.post, "llm/providers/{id}/test", access: .permission(.llmManage), use: test)
        group.on(.get, "llm/providers/{id}/experiment", access: .permission(.llmManage), use: experiment)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<ProviderView> {
        let principal = try context.requirePrincipal()
        return PageView(try await providers.list(page: try request.pageRequest(), tenantID: principal.tenantID)) {
            ProviderView($0)
        }
    }

    @Sendable func create(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(FieldsRequest.self, limit: maxBodyBytes)
        let provider = try await providers.create(body.fields, by: principal, origin: context.origin(request))
        changed(principal.tenantID)
        var response = try ProviderView(provider).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/llm/providers/\(provider.id.lowercased)"
        return response
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> ProviderView {
        let principal = try context.requirePrincipal()
        return ProviderView(try await providers.get(try context.id(), tenantID: principal.tenantID))
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> ProviderView {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(FieldsRequest.self, limit: maxBodyBytes)
        let provider = try await providers.update(try context.id(), body.fields, by: principal, origin: context.origin(request))
        changed(principal.tenantID)
        return ProviderView(provider)
    }

    @Sendable func delete(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await providers.delete(try context.id(), by: principal, origin: context.origin(request))
        changed(principal.tenantID)
        return Response(status: .noContent)
    }

    /// After a provider changed: its embedding model may have, and whether the tenant has one.
    private func changed(_ tenantID: UUID) {
        embedder.kick(tenantID)
        presence.forget(tenantID: tenantID)
    }

    /// The A/B test this provider runs (or ran): each arm's conversations, handoffs by reason and
    /// ratings, over the conversations created since `?since=` (ISO 8601; all when absent).
    @Sendable func experiment(request: Request, context: KefuRequestContext) async throws -> ExperimentView {
        let principal = try context.requirePrincipal()
        var since: Date?
        if let text = request.formParameter("since") {
            guard let date = try? Date(text, strategy: .iso8601) else { throw APIError.validation(field: "since", "an ISO 8601 time") }
            since = date
        }
        let (provider, arms) = try await providers.experimentResults(try context.id(), since: since, tenantID: principal.tenantID)
        return ExperimentView(providerId: provider.id, splitProviderId: provider.splitProviderID, splitPercent: provider.splitPercent, arms: arms.map {
            .init(arm: $0.arm, providerIds: $0.providerIDs, conversations: $0.conversations, handedOff: $0.handedOff,
                  handoffRate: $0.conversations == 0 ? 0 : Double($0.handedOff) / Double($0.conversations), handoffs: $0.handoffs,
                  ratings: $0.ratings, averageRating: $0.averageRating)
        })
    }

    /// One real request ("Reply with OK."), bounded by the provider's own timeouts.
    @Sendable func test(request: Request, context: KefuRequestContext) async throws -> TestView {
        let principal = try context.requirePrincipal()
        let provider = try await providers.withKey(try context.id(), tenantID: principal.tenantID)
        let started = ContinuousClock.now
        let firstToken = FirstTokenClock()
        do {
            let answer = try await streamer.stream(provider, turns: [ChatTurn(.system, "This is a connection test."), ChatTurn(.user, "Reply with OK.")],
                                                   user: "kefu-test") { _ in firstToken.mark() }
            return TestView(ok: true, firstTokenMs: firstToken.milliseconds(since: started),
                            totalMs: (ContinuousClock.now - started).wholeMilliseconds, answer: String(answer.prefix(200)), error: nil)
        } catch let failure as BotFailure {
            return TestView(ok: false, firstTokenMs: firstToken.milliseconds(since: started), totalMs: nil, answer: nil, error: failure.explanation)
        }
    }

    static let fieldProperties: [String: JSONValue] = [
        "name": ["type": "string", "maxLength": 100],
        "kind": ["type": "string", "enum": ["openai-compatible", "azure-openai", "dify"],
                 "description": "openai-compatible: POST {baseUrl}/chat/completions (OpenAI, DeepSeek, Qwen compatible mode, Moonshot, GLM, Ollama, vLLM); azure-openai: {baseUrl}/openai/deployments/{deployment}/chat/completions?api-version=…; dify: a Dify app's {baseUrl}/chat-messages in streaming mode"],
        "baseUrl": ["type": "string", "format": "uri", "description": "e.g. https://api.openai.com/v1, https://api.deepseek.com, http://127.0.0.1:11434/v1, https://RESOURCE.openai.azure.com, https://api.dify.ai/v1. Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, 100.100.100.200, fd00:ec2::254, metadata.google.internal) are refused (422)"],
        "model": ["type": "string", "maxLength": 200, "description": "Required for openai-compatible"],
        "deployment": ["type": "string", "maxLength": 200, "description": "Required for azure-openai"],
        "apiVersion": ["type": "string", "maxLength": 50, "description": "Required for azure-openai"],
        "apiKey": ["type": ["string", "null"], "maxLength": 500, "writeOnly": true, "description": "Stored sealed; never returned. null removes it"],
        "systemPrompt": ["type": "string", "maxLength": 20000, "description": "Empty: a default customer-service prompt"],
        "temperature": ["type": "number", "minimum": 0, "maximum": 2, "description": "0.3 by default"],
        "maxTokens": ["type": "integer", "minimum": 1, "maximum": 32000, "default": 800],
        "connectTimeoutMs": ["type": "integer", "minimum": 100, "maximum": 60000, "default": 5000],
        "firstTokenTimeoutMs": ["type": "integer", "minimum": 100, "maximum": 120000, "default": 15000],
        "totalTimeoutMs": ["type": "integer", "minimum": 100, "maximum": 600000, "default": 60000],
        "maxBotTurns": ["type": "integer", "minimum": 1, "maximum": 100, "default": 10, "description": "Bot answers in a conversation before it hands over (max-turns)"],
        "handoffKeywords": ["type": "array", "maxItems": 50, "items": ["type": "string", "maxLength": 50],
                            "description": "A visitor message containing one (folded: width, case, traditional characters, separators) hands over at once"],
        "fallbackProviderId": ["type": ["string", "null"], "format": "uuid", "description": "Tried when this one fails before its first token or its breaker is open"],
        "maxConcurrent": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 20],
        "requestsPerMinute": ["type": "integer", "minimum": 1, "maximum": 100000, "default": 600],
        "isDefault": ["type": "boolean", "description": "The tenant's default provider (at most one); widgets without their own use it"],
        "embeddingModel": ["type": "string", "maxLength": 200,
                           "description": "Embeds the tenant's knowledge and visitors' questions (openai-compatible: POST {baseUrl}/embeddings with this model; azure-openai: the embedding deployment's name). Empty: full-text search only. The default provider's is used, else the oldest provider's that has one. Not for dify"],
        "embeddingMinSimilarity": ["type": "number", "minimum": 0, "maximum": 1, "default": .number(0.45),
                                   "description": "A chunk less similar (cosine) to the question is not a match"],
        "splitProviderId": ["type": ["string", "null"], "format": "uuid",
                            "description": "An A/B test: splitPercent of the new conversations this provider would answer go to this provider instead (arm b; this one is arm a). null ends the test"],
        "splitPercent": ["type": "integer", "minimum": 0, "maximum": 100, "default": 0, "description": "The share of new conversations sent to splitProviderId"],
    ]

    static let providerSchema: JSONValue = [
        "type": "object",
        "required": ["id", "name", "kind", "baseUrl", "model", "deployment", "apiVersion", "hasApiKey", "apiKeyLast4", "systemPrompt", "temperature",
                     "maxTokens", "connectTimeoutMs", "firstTokenTimeoutMs", "totalTimeoutMs", "maxBotTurns", "handoffKeywords", "maxConcurrent",
                     "requestsPerMinute", "isDefault", "embeddingModel", "embeddingMinSimilarity", "splitPercent"],
        "properties": .object(fieldProperties.filter { $0.key != "apiKey" }.merging([
            "id": ["type": "string", "format": "uuid"],
            "hasApiKey": ["type": "boolean"],
            "apiKeyLast4": ["type": "string", "description": "The key's last four characters (empty for keys under 12 characters); never the key"],
        ]) { $1 }),
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/llm/providers": [
            "get": OpenAPIDocument.operation(
                "listLLMProviders", "The tenant's LLM providers", tag: "bot", access: .permission(.llmManage),
                parameters: OpenAPIDocument.pageParameters,
                responses: ["200": OpenAPIDocument.json("A page of providers", PageView<ProviderView>.schema(providerSchema)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createLLMProvider", "Add a provider; its API key is sealed at rest and never returned; audited without the key", tag: "bot",
                access: .permission(.llmManage),
                body: ["type": "object", "additionalProperties": false, "required": ["name", "kind", "baseUrl"], "properties": .object(fieldProperties)],
                responses: ["201": OpenAPIDocument.json("Created", providerSchema), "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/llm/providers/{id}": [
            "get": OpenAPIDocument.operation(
                "getLLMProvider", "One provider", tag: "bot", access: .permission(.llmManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The provider", providerSchema), "404": OpenAPIDocument.problem]),
            "patch": OpenAPIDocument.operation(
                "updateLLMProvider", "Change a provider; absent fields stay, apiKey replaces the key (null removes it)", tag: "bot",
                access: .permission(.llmManage), parameters: [OpenAPIDocument.idParameter],
                body: ["type": "object", "additionalProperties": false, "properties": .object(fieldProperties)],
                responses: ["200": OpenAPIDocument.json("The changed provider", providerSchema), "404": OpenAPIDocument.problem, "422": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteLLMProvider", "Delete a provider (widgets using it fall back to the default; so do providers naming it as fallback)", tag: "bot",
                access: .permission(.llmManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem]),
        ],
        "/api/v1/llm/providers/{id}/experiment": [
            "get": OpenAPIDocument.operation(
                "getLLMProviderExperiment",
                "The A/B test this provider runs or ran (splitProviderId, splitPercent): per arm (a: this provider, b: the split's), the conversations, handoffs by reason and visitor ratings",
                tag: "bot", access: .permission(.llmManage),
                parameters: [OpenAPIDocument.idParameter,
                             ["name": "since", "in": "query", "required": false, "schema": ["type": "string", "format": "date-time"],
                              "description": "Count conversations created from then on (all when absent)"]],
                responses: ["200": OpenAPIDocument.json("Per-arm results", [
                    "type": "object", "required": ["providerId", "splitPercent", "arms"], "properties": [
                        "providerId": ["type": "string", "format": "uuid"],
                        "splitProviderId": ["type": ["string", "null"], "format": "uuid"],
                        "splitPercent": ["type": "integer"],
                        "arms": ["type": "array", "items": [
                            "type": "object", "required": ["arm", "providerIds", "conversations", "handedOff", "handoffRate", "handoffs", "ratings"],
                            "properties": [
                                "arm": ["type": "string", "enum": ["a", "b"]],
                                "providerIds": ["type": "array", "items": ["type": "string", "format": "uuid"]],
                                "conversations": ["type": "integer"], "handedOff": ["type": "integer"], "handoffRate": ["type": "number"],
                                "handoffs": ["type": "object", "additionalProperties": ["type": "integer"], "description": "Handoffs by reason"],
                                "ratings": ["type": "integer"], "averageRating": ["type": ["number", "null"]],
                            ],
                        ]],
                    ],
                ]), "404": OpenAPIDocument.problem, "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/llm/providers/{id}/test": [
            "post": OpenAPIDocument.operation(
                "testLLMProvider", "A real round trip (\"Reply with OK.\"), bounded by the provider's timeouts: its latency, or the provider's error",
                tag: "bot", access: .permission(.llmManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The outcome", [
                    "type": "object", "required": ["ok"], "properties": [
                        "ok": ["type": "boolean"],
                        "firstTokenMs": ["type": "integer"], "totalMs": ["type": "integer"],
                        "answer": ["type": "string", "description": "The start of the answer"],
                        "error": ["type": "string", "description": "What went wrong (the provider's own message where it gave one)"],
                    ],
                ]), "404": OpenAPIDocument.problem]),
        ],
    ]
}

/// When a test request's first token came.
final class FirstTokenClock: Sendable {
    private let at = Mutex<ContinuousClock.Instant?>(nil)

    func mark() {
        at.withLock { if $0 == nil { $0 = .now } }
    }

    func milliseconds(since start: ContinuousClock.Instant) -> Int? {
        at.withLock { $0 }.map { ($0 - start).wholeMilliseconds }
    }
}

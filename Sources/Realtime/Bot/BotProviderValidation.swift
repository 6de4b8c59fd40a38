import Foundation
import Tenancy

/// What a provider's settings must satisfy, every field checked and every problem named at once.
enum BotProviderValidation {
    static func validate(_ provider: BotProvider, fields: BotProviderStore.Fields) throws {
        var invalid: [InvalidFields.Field] = []
        func check(_ ok: Bool, _ field: String, _ message: String) {
            if !ok { invalid.append(.init(field, message)) }
        }
        check((1...100).contains(provider.name.count), "name", "1 to 100 characters")
        let url = URL(string: provider.baseURL)
        let wellFormed = provider.baseURL.count <= 2048 && ["http", "https"].contains(url?.scheme?.lowercased() ?? "") && url?.host?.isEmpty == false
        check(wellFormed, "baseUrl", "an http(s) URL, e.g. https://api.openai.com/v1")
        if wellFormed, let host = url?.host {
            check(!ProviderAddressPolicy.refuses(host: host), "baseUrl",
                  "not a link-local or cloud metadata address (169.254.0.0/16, fe80::/10, metadata endpoints)")
        }
        switch provider.kind {
        case .openAICompatible:
            check(!provider.model.isEmpty, "model", "is required for openai-compatible (e.g. gpt-4o-mini, deepseek-chat, qwen-plus)")
        case .azureOpenAI:
            check(!provider.deployment.isEmpty, "deployment", "is required for azure-openai")
            check(!provider.apiVersion.isEmpty, "apiVersion", "is required for azure-openai (e.g. 2024-10-21)")
        case .dify:
            check(provider.embeddingModel.isEmpty, "embeddingModel", "must be empty for dify (a Dify app embeds its own knowledge)")
        }
        check(provider.embeddingModel.count <= 200, "embeddingModel", "at most 200 characters")
        check((0...1).contains(provider.embeddingMinSimilarity), "embeddingMinSimilarity", "0 to 1")
        check(provider.model.count <= 200, "model", "at most 200 characters")
        check(provider.deployment.count <= 200, "deployment", "at most 200 characters")
        check(provider.apiVersion.count <= 50, "apiVersion", "at most 50 characters")
        if let key = provider.apiKey {
            check((1...500).contains(key.count) && !key.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == " " },
                  "apiKey", "1 to 500 characters, no spaces")
        }
        check(provider.systemPrompt.unicodeScalars.count <= 20000, "systemPrompt", "at most 20,000 characters")
        check((0...2).contains(provider.temperature), "temperature", "0 to 2")
        check((1...32000).contains(provider.maxTokens), "maxTokens", "1 to 32,000")
        check((100...60000).contains(provider.connectTimeout.wholeMilliseconds), "connectTimeoutMs", "100 to 60,000")
        check((100...120_000).contains(provider.firstTokenTimeout.wholeMilliseconds), "firstTokenTimeoutMs", "100 to 120,000")
        check((100...600_000).contains(provider.totalTimeout.wholeMilliseconds), "totalTimeoutMs", "100 to 600,000")
        check(provider.totalTimeout >= provider.firstTokenTimeout, "totalTimeoutMs", "at least firstTokenTimeoutMs")
        check((1...100).contains(provider.maxBotTurns), "maxBotTurns", "1 to 100")
        check(provider.handoffKeywords.count <= 50, "handoffKeywords", "at most 50")
        for (index, keyword) in provider.handoffKeywords.enumerated() where !(1...50).contains(keyword.count) {
            invalid.append(.init("handoffKeywords[\(index)]", "1 to 50 characters"))
        }
        check(provider.fallbackProviderID != provider.id, "fallbackProviderId", "another provider, not this one")
        check(provider.splitProviderID != provider.id, "splitProviderId", "another provider, not this one")
        check((0...100).contains(provider.splitPercent), "splitPercent", "0 to 100")
        check(provider.splitPercent == 0 || provider.splitProviderID != nil, "splitPercent", "0 without a splitProviderId")
        check((1...1000).contains(provider.maxConcurrent), "maxConcurrent", "1 to 1,000")
        check((1...100_000).contains(provider.requestsPerMinute), "requestsPerMinute", "1 to 100,000")
        if !invalid.isEmpty { throw InvalidFields(invalid) }
    }
}

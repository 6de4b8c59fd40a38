import Foundation
import Tenancy

/// Everything a bot answer starts from, read in one transaction, since each round trip here is
/// time the visitor waits before the first word: the answer lease (on the first answer of a
/// turn), the conversation with its recent messages and the question among them, the visitor's
/// profile fields, the answering provider with its key opened, the embedding context and —
/// without embeddings, whose question vector needs the provider first — the knowledge found.
struct BotAnswerStart: Sendable {
    var claim = BotAnswerLease.Claim.held
    var conversation: Conversation?
    var history: [Message] = []
    var botTurns = 0
    var profile: [(field: String, value: String)] = []
    var question: Message?
    var provider: BotProvider?
    var embedding: KnowledgeRetriever.EmbeddingContext?
    var searched: Retrieval?

    /// - Parameters:
    ///   - answered: the seq of the question answered last in this turn (0: none yet).
    ///   - node: claims the lease for this node first; nothing else is read unless it holds it.
    static func read(_ conversationID: UUID, widget: Widget, answered: Int64, claimingFor node: String?, secrets: SecretBox,
                     in tx: TenantTransaction) async throws -> BotAnswerStart {
        var start = BotAnswerStart()
        if let node {
            start.claim = try await BotAnswerLease.claim(conversationID, for: node, in: tx)
            guard start.claim == .held else { return start }
        }
        start.conversation = try await ConversationStore.load(conversationID, in: tx)
        start.history = try await MessageLog.before(nil, conversationID: conversationID, limit: BotResponder.contextMessages, visitorView: true, in: tx)
        start.botTurns = try await BotResponder.botTurns(conversationID, in: tx)
        start.profile = try await BotVisitorProfile.load(start.conversation?.visitorID ?? UUID(), fields: widget.bot.visitorFields, in: tx)
        start.question = BotResponder.question(in: start.history, after: answered)
        guard start.conversation?.status == .bot, let question = start.question else { return start }
        start.provider = try await BotProviderStore.answering(conversationID, widgetProviderID: widget.bot.providerID, opening: secrets, in: tx)
        let embedding = try await KnowledgeRetriever.embeddingContext(opening: secrets, in: tx)
        start.embedding = embedding
        if embedding.provider?.embeddingSource == nil {
            // Last: a failing search aborts the transaction, but everything is read by then.
            start.searched = try? await KnowledgeStore.search(question.body, limit: BotResponder.chunksInPrompt, in: tx)
        }
        return start
    }
}

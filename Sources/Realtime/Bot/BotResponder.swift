import Foundation
import Logging
import Synchronization
import Tenancy

/// The bot's side of a bot-first conversation. When a visitor's message is stored in a
/// conversation the bot holds, it answers from the widget's provider (or the tenant's default):
/// streamed to the conversation's sockets here as `stream` frames while the provider writes,
/// checked against the tenant's sensitive words before any of it leaves (masked characters never
/// do; a blocked answer is withdrawn), then stored once as a bot message whose `clientId` is the
/// stream id. It hands the conversation to people when the visitor asks, a keyword says so, the
/// bot has answered enough, or the provider fails; and stops at once when a person takes over.
///
/// Runs beside the message path, never on it: a slow or dead provider holds nothing a human
/// conversation needs (its own HTTP clients, one answer per conversation at a time).
public final class BotResponder: Sendable {
    let database: Database
    let hub: Hub
    let writer: MessageWriter
    let conversations: ConversationService
    let providers: BotProviderStore
    let knowledge: KnowledgeRetriever
    let streamer: ChatStreamer
    let words: WordMatchers
    let logger: Logger
    /// Whether tenants have a provider, for welcomes.
    public let providerPresence = ProviderPresence()
    /// One answer at a time per conversation, across nodes.
    let lease: BotAnswerLease

    /// Recent turns sent as context: at most this many messages, and about this many characters.
    static let contextMessages = 30
    /// The conversation's turns given to the provider, at most this many tokens (estimated:
    /// see `estimatedTokens`); the latest turn always goes.
    static let contextTokens = 3_000
    static let defaultPrompt = """
        You are the customer service assistant of this company, chatting with a visitor on its website. Answer briefly and \
        politely, in the visitor's language. If you do not know the answer or cannot help, say so plainly and offer to connect \
        the visitor with a human agent; never invent facts, prices or policies.
        """

    public init(database: Database, hub: Hub, writer: MessageWriter, conversations: ConversationService, providers: BotProviderStore,
                knowledge: KnowledgeRetriever, streamer: ChatStreamer, words: WordMatchers, logger: Logger) {
        self.database = database
        self.hub = hub
        self.writer = writer
        self.conversations = conversations
        self.providers = providers
        self.knowledge = knowledge
        self.streamer = streamer
        self.words = words
        self.logger = logger
        self.lease = BotAnswerLease(database: database, nodeID: hub.nodeID)
    }

    /// Whether a new conversation from `widget` would start with the bot now, without opening a
    /// key: the widget says so (at this hour) and a provider is there to answer. `recent` accepts
    /// an answer read in the last few seconds (for welcomes: see `ProviderPresence`).
    func answersNow(_ widget: Widget, tenantID: UUID, recent: Bool = false) async -> Bool {
        guard widget.botAnswers(at: Date()) else { return false }
        let database = self.database
        let read = { try await database.withTenant(tenantID) { tx in try await BotProviderStore.hasProvider(widget.bot.providerID, in: tx) } }
        guard recent else { return (try? await read()) ?? false }
        return (try? await providerPresence.exists(.init(tenantID: tenantID, providerID: widget.bot.providerID), read: read)) ?? false
    }

    /// A visitor's message was stored in a conversation the bot holds: answer it, unless an
    /// answer is being written there already (that one looks for newer messages when done).
    func visitorWrote(tenantID: UUID, conversationID: UUID, widget: Widget) {
        hub.botStreams.start(conversationID) {
            await self.answer(tenantID: tenantID, conversationID: conversationID, widget: widget)
        }
    }

    /// Answers under this node's lease on the conversation: waits while another node holds it
    /// (that node answers this question too, or its lease runs out), renews it while writing,
    /// and before letting go looks for a question asked on another node meanwhile.
    private func answer(tenantID: UUID, conversationID: UUID, widget: Widget) async {
        for _ in 0..<Self.leaseRounds {
            // The lease is claimed in the first read of the answer's context (one transaction).
            let end = await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.renewLease(conversationID, tenantID: tenantID) }
                let end = await answerRound(tenantID: tenantID, conversationID: conversationID, widget: widget)
                group.cancelAll()
                return end
            }
            switch end {
            case .handedOver:
                // The handoff commits in its own task: until it has, the question still looks
                // unanswered and the conversation still the bot's, so nothing is looked for again.
                try? await lease.release(conversationID, tenantID: tenantID)
                return
            case .lease(.notWithBot): return
            case .lease(.heldElsewhere(let until)):
                let wait = max(200, Int(until.timeIntervalSinceNow * 1000)) + Int.random(in: 0...500)
                guard (try? await Task.sleep(for: .milliseconds(wait))) != nil else { return }
                continue
            case .lease(.held): break
            }
            guard !Task.isCancelled else { return }
            try? await lease.release(conversationID, tenantID: tenantID)
            guard (try? await lease.hasUnansweredQuestion(conversationID, tenantID: tenantID)) == true else { return }
        }
    }

    /// Lease rounds before giving up: a holder renews every 10 s while it writes, so this covers
    /// several long answers written elsewhere.
    static let leaseRounds = 12

    private func renewLease(_ conversationID: UUID, tenantID: UUID) async {
        while (try? await Task.sleep(for: BotAnswerLease.renewEvery)) != nil {
            _ = try? await lease.claim(conversationID, tenantID: tenantID)
        }
    }

    /// How a round of answers ended.
    enum RoundEnd {
        /// The lease as the round's first read found it (`held` also when that read failed).
        case lease(BotAnswerLease.Claim)
        /// The round handed the conversation over to people.
        case handedOver
    }

    /// Answers until the visitor's latest message has its answer (a visitor may write again
    /// while the bot writes), or the conversation is handed over.
    private func answerRound(tenantID: UUID, conversationID: UUID, widget: Widget) async -> RoundEnd {
        // The seq of the last question answered here: one written while it was being answered
        // comes before that answer in seq, and still wants its own.
        var answered: Int64 = 0
        for round in 0..<5 {
            guard !Task.isCancelled else { return .lease(.held) }
            _ = hub.botStreams.takePending(conversationID)
            let outcome: Outcome
            do {
                let (secrets, node) = (providers.secrets, round == 0 ? lease.nodeID : nil)
                let start = try await database.withTenant(tenantID) { tx in
                    try await BotAnswerStart.read(conversationID, widget: widget, answered: answered, claimingFor: node, secrets: secrets, in: tx)
                }
                guard start.claim == .held else { return .lease(start.claim) }
                guard let conversation = start.conversation, conversation.status == .bot, let question = start.question else {
                    if hub.botStreams.takePending(conversationID) { continue }
                    return .lease(.held)
                }
                outcome = try await answerOnce(conversation, start: start, question: question, widget: widget)
                answered = question.seq
            } catch is CancellationError {
                return .lease(.held)
            } catch where Task.isCancelled {
                return .lease(.held)
            } catch {
                // Whatever went wrong (the database, the writer), the visitor is not left waiting.
                logger.warning("bot answer failed", metadata: ["conversation": "\(conversationID)", "error": "\(error)"])
                outcome = .handOff("provider-error")
            }
            if case .handOff(let reason) = outcome {
                // Its own task: the status change stops this one (`Hub.changed`).
                hub.background.spawn { [conversations, logger] in
                    do {
                        try await conversations.handoff(tenantID: tenantID, conversationID: conversationID, reason: reason)
                    } catch {
                        logger.warning("bot handoff failed", metadata: ["conversation": "\(conversationID)", "error": "\(error)"])
                    }
                }
                return .handedOver
            }
        }
        return .lease(.held)
    }

    enum Outcome {
        case answered
        case handOff(String)
    }

    /// Chunks of knowledge an answer's prompt holds at most.
    static let chunksInPrompt = 4

    /// The question to answer: the latest text when it is the visitor's (no answer yet), or a
    /// visitor's text newer than `answered`, the question answered last.
    static func question(in messages: [Message], after answered: Int64) -> Message? {
        let texts = messages.filter { $0.kind == .text }
        return answered == 0
            ? texts.last.flatMap { $0.senderType == .visitor ? $0 : nil }
            : texts.last { $0.senderType == .visitor && $0.seq > answered }
    }

    private func answerOnce(_ conversation: Conversation, start: BotAnswerStart, question: Message, widget: Widget) async throws -> Outcome {
        let (provider, history, profile) = (start.provider, start.history, start.profile)
        guard let provider else {
            return .handOff("provider-error")
        }
        if Self.asksForPerson(question.body, keywords: provider.handoffKeywords) { return .handOff("keyword") }
        if start.botTurns >= provider.maxBotTurns { return .handOff("max-turns") }
        // The tenant's knowledge first: a FAQ entry that clearly matches answers as it is.
        var retrieval = start.searched
        if retrieval == nil {
            retrieval = try? await knowledge.search(question.body, tenantID: conversation.tenantID, limit: Self.chunksInPrompt, embedding: start.embedding)
        }
        let chinese = question.body.unicodeScalars.contains { SearchText.isCJK($0.value) }
        if let faq = retrieval?.faq, faq.score >= KnowledgeStore.faqThreshold {
            return try await store(faq.entry.answer, sources: [faq.entry.questions[0]], chinese: chinese, in: conversation, id: "faq-" + UUID().uuidString.lowercased())
        }
        if let retrieval, retrieval.hasKnowledge, retrieval.chunks.isEmpty, retrieval.faq == nil {
            // Nothing relevant: say so and offer a person rather than invent. Twice in a row hands over.
            if history.last(where: { $0.senderType == .bot })?.clientID?.hasPrefix("noanswer-") == true { return .handOff("no-answer") }
            let text = chinese ? "抱歉，我没有找到相关的信息。您可以换个说法，或点击“转人工”由客服为您解答。"
                : "Sorry, I couldn't find anything about that. You can rephrase, or choose \"Talk to a human\" to reach our team."
            return try await store(text, sources: [], chinese: chinese, in: conversation, id: "noanswer-" + UUID().uuidString.lowercased())
        }
        let turns = Self.turns(history, prompt: provider.systemPrompt, knowledge: retrieval?.chunks ?? [], visitor: profile)
        let matcher = try await words.matcher(for: conversation.tenantID)
        var stream = BotStream(tenantID: conversation.tenantID, conversationID: conversation.id, id: "bot-" + UUID().uuidString.lowercased(),
                               hub: hub, matcher: matcher)
        var answer: String
        do {
            do {
                answer = try await streamer.stream(provider, turns: turns, user: conversation.visitorID.lowercased) { [stream] delta in
                    try stream.received(delta)
                }
            } catch let failure as BotFailure where !stream.hasShown {
                guard let fallbackID = provider.fallbackProviderID,
                      let fallback = try? await providers.withKey(fallbackID, tenantID: conversation.tenantID) else { throw failure }
                logger.info("bot provider failed; trying its fallback", metadata: ["provider": "\(provider.id)", "error": "\(failure)"])
                // A fresh stream: nothing the first provider wrote (and held back) joins the answer.
                stream = BotStream(tenantID: conversation.tenantID, conversationID: conversation.id,
                                   id: "bot-" + UUID().uuidString.lowercased(), hub: hub, matcher: matcher)
                answer = try await streamer.stream(fallback, turns: turns, user: conversation.visitorID.lowercased) { [stream] delta in
                    try stream.received(delta)
                }
            }
        } catch let failure as BotFailure {
            stream.withdraw(reason: failure.handoffReason)
            return .handOff(failure.handoffReason)
        } catch is BotStream.Blocked {
            stream.withdraw(reason: "content-blocked")
            return .handOff("content-blocked")
        } catch is BotStream.Unsure {
            stream.withdraw(reason: "low-confidence")
            return .handOff("low-confidence")
        } catch {
            stream.withdraw(reason: Task.isCancelled ? "taken-over" : "provider-error")
            throw error
        }

        // The whole answer, judged whole (a match may end with its last character); a start of
        // the handoff marker cut off at the very end is no part of it.
        answer = BotStream.withoutMarkerStart(answer)
        let verdict = stream.matcher?.check(answer, sender: .bot)
        if verdict?.action == .block {
            stream.withdraw(reason: "content-blocked")
            return .handOff("content-blocked")
        }
        answer = verdict?.text ?? answer
        let flagged = verdict.flatMap(Self.flag)
        guard !Task.isCancelled else {
            stream.withdraw(reason: "taken-over")
            throw CancellationError()
        }
        let titles = (retrieval?.chunks ?? []).map(\.title).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        // A person may have taken over on another node a moment ago: never store over them.
        guard try await stillWithBot(conversation) else {
            stream.withdraw(reason: "taken-over")
            throw CancellationError()
        }
        await stream.relayed()
        try await append(NewMessage(tenantID: conversation.tenantID, conversationID: conversation.id, senderType: .bot,
                                    senderID: nil, kind: .text, body: answer + Self.sourcesLine(titles, chinese: chinese),
                                    clientID: stream.id, flag: flagged))
        return .answered
    }

    /// Stores an answer that needs no provider (a FAQ entry's, or "not found"), after the
    /// tenant's words have seen it as bot output.
    private func store(_ text: String, sources: [String], chinese: Bool, in conversation: Conversation, id: String) async throws -> Outcome {
        let body = text + Self.sourcesLine(sources, chinese: chinese)
        let verdict = try await words.matcher(for: conversation.tenantID)?.check(body, sender: .bot)
        if verdict?.action == .block { return .handOff("content-blocked") }
        guard !Task.isCancelled, try await stillWithBot(conversation) else { throw CancellationError() }
        try await append(NewMessage(tenantID: conversation.tenantID, conversationID: conversation.id, senderType: .bot, senderID: nil,
                                    kind: .text, body: verdict?.text ?? body, clientID: id, flag: verdict.flatMap(Self.flag)))
        return .answered
    }

    /// Queues an answer for the writer. Answers that finish together (many slow streams ending
    /// at once) can find the writer refusing for a moment (`overloaded`): they wait as long as it
    /// asks and try again, a few times, rather than drop an answer the visitor watched being
    /// written. The clientId makes a retry that did commit a duplicate, not a second message.
    private func append(_ message: NewMessage) async throws {
        for attempt in 1...Self.appendAttempts {
            do {
                _ = try await writer.append(message)
                return
            } catch RealtimeError.overloaded(let retryAfter) where attempt < Self.appendAttempts {
                try await Task.sleep(for: .milliseconds(retryAfter + Int.random(in: 0...retryAfter)))
            }
        }
    }

    static let appendAttempts = 8

    /// Whether the bot still holds `conversation` (read just before its answer is stored).
    private func stillWithBot(_ conversation: Conversation) async throws -> Bool {
        try await database.withTenant(conversation.tenantID) { tx in
            try await ConversationStore.load(conversation.id, in: tx)?.status == .bot
        }
    }

    /// The answer's sources, named at its end (titles of documents, or the FAQ's question).
    static func sourcesLine(_ titles: [String], chinese: Bool) -> String {
        guard !titles.isEmpty else { return "" }
        return chinese ? "\n\n来源：" + titles.joined(separator: "、") : "\n\nSources: " + titles.joined(separator: "; ")
    }

    static func flag(_ verdict: WordVerdict) -> WordFlag? {
        var seen = Set<UUID>()
        let flagged = verdict.matches.filter { $0.action == .flag && seen.insert($0.ruleID).inserted }
        guard !flagged.isEmpty else { return nil }
        var categories: [String] = []
        for match in flagged where !categories.contains(match.category) { categories.append(match.category) }
        return WordFlag(ruleIDs: flagged.map(\.ruleID), categories: categories)
    }

    /// Whether `text` holds one of the handoff keywords, matched as sensitive words are: folded
    /// (width, case, traditional characters), English on whole words ("agent" is not in
    /// "management"), Chinese anywhere.
    static func asksForPerson(_ text: String, keywords: [String]) -> Bool {
        let keys = keywords.filter { !WordNormalizer.standard.key(of: $0).isEmpty }
        guard !keys.isEmpty else { return false }
        let matcher = keywordMatchers.withLock { cache in
            if let known = cache[keys] { return known }
            if cache.count >= 256 { cache.removeAll() }
            let built = WordMatcher(rules: keys.map { WordRule(pattern: $0, action: .flag) })
            cache[keys] = built
            return built
        }
        return matcher.check(text, sender: .visitor).action != nil
    }

    /// Matchers of the keyword lists in use (a provider's list rarely changes).
    private static let keywordMatchers = Mutex<[[String]: WordMatcher]>([:])

    /// A rough token count that errs high for Chinese: each CJK character one token, other text
    /// one token per four bytes (tokenizers of the common models come close to both).
    static func estimatedTokens(_ text: String) -> Int {
        var cjk = 0
        var otherBytes = 0
        for scalar in text.unicodeScalars {
            if SearchText.isCJK(scalar.value) { cjk += 1 } else { otherBytes += scalar.utf8.count }
        }
        return cjk + (otherBytes + 3) / 4
    }

    /// The provider's view of the conversation: the prompt, then the latest turns that fit.
    static func turns(_ history: [Message], prompt: String, knowledge: [Retrieval.Chunk] = [],
                      visitor: [(field: String, value: String)] = []) -> [ChatTurn] {
        var turns: [ChatTurn] = []
        var budget = contextTokens
        for message in history.reversed() where message.kind == .text {
            let role: ChatTurn.Role
            switch message.senderType {
            case .visitor: role = .user
            case .bot, .agent: role = .assistant
            case .system: continue
            }
            budget -= estimatedTokens(message.body)
            if budget < 0, !turns.isEmpty { break }
            turns.append(ChatTurn(role, message.body))
        }
        var system = prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? defaultPrompt : prompt
        system += BotVisitorProfile.paragraph(visitor)
        system += "\n\nWhen you cannot answer the visitor with confidence, reply with exactly \(BotStream.handoffMarker) and nothing "
            + "else: a colleague takes over at once."
        if !knowledge.isEmpty {
            system += "\n\nAnswer from the company's knowledge below. If it does not hold the answer, reply with "
                + "\(BotStream.handoffMarker); never invent.\n"
            for (index, chunk) in knowledge.enumerated() {
                system += "\n[\(index + 1)] \(chunk.title)" + (chunk.heading == chunk.title ? "" : " — \(chunk.heading)") + "\n\(chunk.text)\n"
            }
        }
        return [ChatTurn(.system, system)] + turns.reversed()
    }

    static func botTurns(_ conversationID: UUID, in tx: TenantTransaction) async throws -> Int {
        for try await count in try await tx.query("""
            SELECT count(*)::int FROM messages WHERE conversation_id = \(conversationID) AND sender_type = 'bot'
            """).decode(Int.self) {
            return count
        }
        return 0
    }
}

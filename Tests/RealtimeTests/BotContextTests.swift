import Foundation
import Testing
@testable import Realtime

/// What the bot gives the provider and how it hears a request for a person, without a network:
/// the conversation's turns bounded by estimated tokens, and handoff keywords matched as words.
@Suite struct BotContextTests {
    static func message(_ seq: Int64, _ sender: Message.SenderType, _ body: String) -> Message {
        Message(tenantID: UUID(), conversationID: UUID(), seq: seq, id: UUID(), senderType: sender, senderID: nil, kind: .text, body: body,
                attachmentID: nil, clientID: nil, createdAt: Date())
    }

    @Test func tokensAreEstimatedHighForChineseAndByBytesForTheRest() {
        #expect(BotResponder.estimatedTokens("你好世界") == 4)
        #expect(BotResponder.estimatedTokens("hello world!") == 3)
        #expect(BotResponder.estimatedTokens("订单 order 123") == 2 + 3)
        #expect(BotResponder.estimatedTokens("") == 0)
    }

    @Test func theTurnsGivenToTheProviderAreTheLatestThatFitTheTokenBudget() {
        // 30 Chinese messages of 200 characters: 6,000 estimated tokens, twice the budget.
        let history = (1...30).map { Self.message(Int64($0), $0.isMultiple(of: 2) ? .bot : .visitor, String(repeating: "问", count: 199) + "\($0 % 10)") }
        let turns = BotResponder.turns(history, prompt: "")
        let kept = turns.dropFirst()
        #expect(turns.first?.role == .system)
        #expect(kept.count == 15, "3,000 tokens hold 15 whole turns of 200: \(kept.count)")
        #expect(kept.last?.content == history.last?.body, "the latest turn is last")
        // One huge message still goes: the visitor's question is never dropped.
        let huge = [Self.message(1, .visitor, String(repeating: "长", count: 10_000))]
        #expect(BotResponder.turns(huge, prompt: "").count == 2)
    }

    @Test func handoffKeywordsAreWholeWordsInEnglishAndAnywhereInChinese() {
        let keywords = ["人工", "转人工", "human", "agent"]
        #expect(BotResponder.asksForPerson("I want to talk to an AGENT please", keywords: keywords))
        #expect(BotResponder.asksForPerson("我要转人工", keywords: keywords))
        #expect(BotResponder.asksForPerson("ｈｕｍａｎ?", keywords: keywords), "folded like sensitive words")
        #expect(!BotResponder.asksForPerson("Our management team said so", keywords: keywords), "not inside another word")
        #expect(!BotResponder.asksForPerson("inhuman prices", keywords: keywords))
        #expect(!BotResponder.asksForPerson("hello", keywords: []))
        #expect(!BotResponder.asksForPerson("hello", keywords: ["", "  "]))
    }
}

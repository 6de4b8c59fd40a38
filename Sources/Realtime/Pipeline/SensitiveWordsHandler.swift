import Foundation
import Tenancy

/// Why a message was flagged: the rules that matched, for the review queue.
public struct WordFlag: Sendable, Equatable {
    public let ruleIDs: [UUID]
    public let categories: [String]
}

/// The pipeline's sensitive-word step: the sender's tenant's rules, strongest action first.
/// `block` refuses the message (`content-blocked`, naming the category, never the rule); `mask`
/// replaces the matched characters before anything is stored; `flag` (also beside a mask) asks
/// for a review entry written with the message.
public struct SensitiveWordsHandler: MessageHandler {
    let matchers: WordMatchers

    public init(matchers: WordMatchers) {
        self.matchers = matchers
    }

    public var name: String { "sensitive-words" }
    public var changes: MessageChanges { [.text, .review] }

    public func handle(_ draft: inout MessageDraft) async throws {
        guard let sender = WordSender(draft.senderType), let matcher = try await matchers.matcher(for: draft.tenantID) else { return }
        let verdict = matcher.check(draft.text, sender: sender)
        guard let action = verdict.action else { return }
        matchers.count(action, sender: sender)
        if action == .block {
            let category = verdict.matches.first { $0.action == .block }?.category ?? "default"
            throw RealtimeError.contentBlocked(category: category)
        }
        if action == .mask, let masked = verdict.text { draft.text = masked }
        // A flag rule asks for review whether or not another rule masked the message too.
        var seen = Set<UUID>()
        let flagged = verdict.matches.filter { $0.action == .flag && seen.insert($0.ruleID).inserted }
        guard !flagged.isEmpty else { return }
        var categories: [String] = []
        for match in flagged where !categories.contains(match.category) { categories.append(match.category) }
        draft.flag = WordFlag(ruleIDs: flagged.map(\.ruleID), categories: categories)
    }
}

extension WordSender {
    /// The rules' name for a message's sender; nil for system events, which no rule applies to.
    init?(_ senderType: Message.SenderType) {
        switch senderType {
        case .visitor: self = .visitor
        case .agent: self = .agent
        case .bot: self = .bot
        case .system: return nil
        }
    }
}

import Foundation
import Tenancy

extension ConversationService {
    /// What a send becomes once the pipeline has seen it: the draft to store, or, for a send the
    /// rules now block, the message this same send stored before the rule existed (a retry whose
    /// first ack was lost is answered as the duplicate it is, never as "not sent").
    enum Screened: Sendable {
        case store(MessageDraft)
        case alreadyStored(AppendResult)
    }

    func screen(_ draft: MessageDraft, conversationID: UUID?, senderID: UUID?, clientID: String) async throws -> Screened {
        do {
            return .store(try await pipeline.process(draft))
        } catch RealtimeError.contentBlocked(let category) {
            guard let conversationID else { throw RealtimeError.contentBlocked(category: category) }
            let key = NewMessage.clientKey(clientID, senderType: draft.senderType, senderID: senderID)
            let stored = try await database.withTenant(draft.tenantID) { tx in
                try await MessageLog.stored(clientKey: key, conversationID: conversationID, in: tx)
            }
            guard let stored else { throw RealtimeError.contentBlocked(category: category) }
            return .alreadyStored(AppendResult(message: stored, duplicate: true))
        }
    }
}

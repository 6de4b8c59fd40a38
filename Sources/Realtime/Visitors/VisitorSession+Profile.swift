import Foundation
import Tenancy

extension VisitorSession {
    /// A `profile` frame: what a pre-chat form or `Kefu.identify` learnt about the visitor.
    /// An anonymous visitor's row is written first (a `visitor` frame brings their token). A
    /// verified identity that belongs to another visitor moves the socket to that visitor: a
    /// `visitor` frame with their id and new token, then their current conversation, replayed.
    func update(identity: FrameFields.Identity?, profile: FrameFields.Profile?, visitorID: UUID, on socket: LiveSocket) async throws {
        let amendment = try described(token: nil, identity: identity, profile: profile, page: nil, language: nil)
        if let pending = pendingHello.withLock({ $0 }) {
            try await createVisitor(pending, visitorID: visitorID, on: socket)
        }
        let (settledID, newToken) = try await directory.amend(visitorID, with: amendment, widget: widget, tenantID: tenantID, origin: socket.origin)
        guard settledID != visitorID else {
            if let newToken { socket.send(.visitor(visitorID: visitorID, token: newToken)) }
            // Agents looking at the conversation see the new name, email… without reopening it.
            if let conversationID = socket.state.withLock({ $0.conversationID }) {
                try await conversations.visitorChanged(tenantID: tenantID, conversationID: conversationID)
            }
            return
        }
        guard let newToken else { throw RealtimeError.visitorNotFound }
        try await become(settledID, token: newToken, on: socket)
    }

    /// Moves the socket to another visitor (the one a verified identity names).
    private func become(_ visitorID: UUID, token: String, on socket: LiveSocket) async throws {
        let conversation = try await conversations.database.withTenant(tenantID) { tx in
            let settings = try await ConversationSettings.load(in: tx)
            return try await ConversationStore.current(visitorID: visitorID, reopenWindowMinutes: settings.reopenWindowMinutes, in: tx)
        }
        let previous = socket.state.withLock { state in
            let previous = state.conversationID
            state.visitorID = visitorID
            state.conversationID = conversation?.id
            return previous
        }
        if let previous, previous != conversation?.id { hub.unfollow(socket, conversationID: previous) }
        socket.send(.visitor(visitorID: visitorID, token: token))
        guard let conversation else { return }
        socket.remember(conversation)
        // Their recent messages, as a newly assigned agent gets them; older ones through `history`.
        await hub.follow(socket, conversationID: conversation.id, after: Hub.followStart(conversation), resume: true)
        socket.send(.conversation(conversation))
        if conversation.status == .queued { await hub.pushQueuePositions(tenantID: tenantID, only: socket) }
    }
}

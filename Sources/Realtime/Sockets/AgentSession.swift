import Auth
import Foundation
import Tenancy

/// An agent's socket: their conversations and the queue live, and commands — each checked
/// against the agent's role — to follow, reply (or note), accept, assign or transfer, resolve,
/// reopen, set presence, type and mark read.
final class AgentSession: SocketSession {
    let principal: Principal
    let conversations: ConversationService
    let writer: MessageWriter
    let hub: Hub
    let presence: PresenceStore

    init(principal: Principal, conversations: ConversationService, writer: MessageWriter, hub: Hub, presence: PresenceStore) {
        self.principal = principal
        self.conversations = conversations
        self.writer = writer
        self.hub = hub
        self.presence = presence
    }

    var tenantID: UUID { principal.tenantID }

    /// Sent once the socket is registered: where the agent stands and what they have.
    func welcome(on socket: LiveSocket) async throws {
        try await presence.connect(userID: principal.userID, tenantID: tenantID, node: hub.nodeID)
        let capacity = try await presence.capacity(userID: principal.userID, tenantID: tenantID)
        let canSeeQueue = principal.has(.conversationsRead)
        let (settings, mine, queue) = try await conversations.database.withTenant(tenantID) { tx in
            let settings = try await ConversationSettings.load(in: tx)
            let mine = try await ConversationStore.decode(try await tx.query("""
                SELECT \(unescaped: ConversationStore.columns) FROM conversations
                WHERE assignee_id = \(principal.userID) AND status IN ('open', 'pending', 'snoozed') ORDER BY assigned_at
                """), tenantID: tx.tenantID)
            let queue = canSeeQueue ? try await ConversationStore.decode(try await tx.query("""
                SELECT \(unescaped: ConversationStore.columns) FROM conversations
                WHERE status = 'queued' ORDER BY queued_at, id LIMIT 200
                """), tenantID: tx.tenantID) : []
            return (settings, mine, queue)
        }
        socket.state.withLock { $0.maxMessageBytes = settings.maxMessageBytes }
        socket.send(.agentWelcome(AgentWelcome(
            userId: principal.userID, presence: "online", capacity: capacity, permissions: principal.permissions.map(\.rawValue).sorted(),
            conversations: mine.map(ConversationView.init), queue: queue.map(ConversationView.init))))
        for conversation in mine {
            socket.remember(conversation)
            await hub.follow(socket, conversationID: conversation.id, after: conversation.lastSeq)
        }
        await conversations.drainQueue(tenantID: tenantID)
    }

    func handle(_ frame: ClientFrame, on socket: LiveSocket) async throws {
        switch frame.type {
        case "subscribe":
            let conversation = try await visibleConversation(try frame.required(frame.conversationId, "conversationId"))
            socket.remember(conversation)
            await hub.follow(socket, conversationID: conversation.id, after: min(frame.afterSeq ?? conversation.lastSeq, conversation.lastSeq),
                             resume: frame.afterSeq != nil)
            socket.send(.conversation(conversation))
        case "unsubscribe":
            hub.unfollow(socket, conversationID: try frame.required(frame.conversationId, "conversationId"))
            socket.send(.ok(ref: frame.ref))
        case "history":
            let conversation = try await visibleConversation(try frame.required(frame.conversationId, "conversationId"))
            let limit = min(max(frame.limit ?? 50, 1), 200)
            let messages = try await conversations.database.withTenant(tenantID) { tx in
                try await MessageLog.before(frame.beforeSeq, conversationID: conversation.id, limit: limit, in: tx)
            }
            socket.send(.history(ref: frame.ref, conversationID: conversation.id, messages: messages))
        case "send": try await send(frame, on: socket)
        case "accept":
            let conversation = try await conversations.accept(try frame.required(frame.conversationId, "conversationId"), by: principal)
            socket.send(.ok(ref: frame.ref))
            _ = conversation
        case "assign":
            _ = try await conversations.assign(try frame.required(frame.conversationId, "conversationId"),
                                               toAgent: frame.agentId, toTeam: frame.teamId, by: principal)
            socket.send(.ok(ref: frame.ref))
        case "resolve":
            _ = try await conversations.resolve(try frame.required(frame.conversationId, "conversationId"), by: principal)
            socket.send(.ok(ref: frame.ref))
        case "reopen":
            _ = try await conversations.reopen(try frame.required(frame.conversationId, "conversationId"), by: principal)
            socket.send(.ok(ref: frame.ref))
        case "status":
            let status = try frame.required(frame.status.flatMap(Conversation.Status.init(rawValue:)), "status")
            _ = try await conversations.setStatus(try frame.required(frame.conversationId, "conversationId"), to: status,
                                                  until: frame.until, by: principal)
            socket.send(.ok(ref: frame.ref))
        case "presence":
            guard let status = frame.status.flatMap(PresenceStore.Status.init(rawValue:)), status != .offline else {
                throw RealtimeError.invalid("\"status\" must be \"online\" or \"away\".")
            }
            try await presence.set(status, userID: principal.userID, tenantID: tenantID)
            socket.send(.ok(ref: frame.ref))
            if status == .online { await conversations.drainQueue(tenantID: tenantID) }
        case "typing":
            let conversationID = try frame.required(frame.conversationId, "conversationId")
            // Advisory: dropped beyond the allowance, and while the writer is pressed (messages first).
            guard socket.state.withLock({ $0.typingAllowance.take() }), !writer.isUnderPressure else { return }
            guard socket.cursor(conversationID) != nil else { throw RealtimeError.conversationNotFound }
            hub.typing(tenantID: tenantID, conversationID: conversationID, senderType: .agent, senderID: principal.userID,
                       typing: frame.typing ?? true, visitors: frame.note != true, except: socket)
        case "read":
            let conversation = try await visibleConversation(try frame.required(frame.conversationId, "conversationId"))
            try await conversations.markRead(tenantID: tenantID, conversationID: conversation.id, side: .agent, seq: try frame.required(frame.seq, "seq"))
        case "ping": socket.send(.pong(ref: frame.ref))
        default: throw RealtimeError.invalid("Unknown frame type \"\(frame.type.prefix(40))\".")
        }
    }

    /// A conversation this agent may see: their own, or any with `conversations.read`.
    /// Another tenant's id, or a guessed one, is simply not found.
    private func visibleConversation(_ id: UUID, on socket: LiveSocket? = nil) async throws -> Conversation {
        var conversation = socket?.snapshot(id)
        if conversation == nil {
            conversation = try await conversations.database.withTenant(tenantID) { tx in try await ConversationStore.load(id, in: tx) }
        }
        guard let conversation, conversation.assigneeID == principal.userID || principal.has(.conversationsRead) else {
            throw RealtimeError.conversationNotFound
        }
        return conversation
    }

    private func send(_ frame: ClientFrame, on socket: LiveSocket) async throws {
        let conversation = try await visibleConversation(try frame.required(frame.conversationId, "conversationId"), on: socket)
        let limit = socket.state.withLock { $0.maxMessageBytes }
        let (text, clientID) = try MessageRules.check(text: frame.text, clientID: frame.clientId, maximumBytes: limit)
        let note = frame.note == true
        try ConversationService.checkReply(conversation, note: note, by: principal)
        if socket.cursor(conversation.id) == nil {
            socket.remember(conversation)
            await hub.follow(socket, conversationID: conversation.id, after: conversation.lastSeq)
        }
        let message = NewMessage(tenantID: tenantID, conversationID: conversation.id, senderType: .agent, senderID: principal.userID,
                                 kind: note ? .note : .text, body: text, clientID: clientID)
        let ref = frame.ref
        writer.submit(message) { result in
            switch result {
            case .success(let appended): socket.send(.ack(ref: ref, appended))
            case .failure(let error): socket.send(.error(ref: ref, error as? RealtimeError ?? .unavailable))
            }
        }
    }
}

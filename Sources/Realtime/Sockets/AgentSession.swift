import Auth
import Foundation
import Synchronization
import Tenancy

/// An agent's socket: their conversations and the queue live, and commands — each checked
/// against the agent's role — to follow, reply (or note), accept, assign or transfer, resolve,
/// reopen, set presence, type and mark read, and resume many conversations after a reconnect.
final class AgentSession: SocketSession {
    let principal: Principal
    let conversations: ConversationService
    let writer: MessageWriter
    let hub: Hub
    let presence: PresenceStore
    /// Signs this agent's messages; read with the welcome.
    let displayName = Mutex<String?>(nil)

    /// What connecting sets the agent to.
    let initialPresence: PresenceStore.Status

    init(principal: Principal, conversations: ConversationService, writer: MessageWriter, hub: Hub, presence: PresenceStore,
         initialPresence: PresenceStore.Status = .online) {
        self.initialPresence = initialPresence
        self.principal = principal
        self.conversations = conversations
        self.writer = writer
        self.hub = hub
        self.presence = presence
    }

    var tenantID: UUID { principal.tenantID }

    /// How many of the agent's own conversations a welcome lists.
    static let welcomeConversations = 200

    private static func activity(_ conversation: Conversation) -> Date {
        conversation.lastMessageAt ?? conversation.assignedAt ?? conversation.createdAt
    }

    /// Sent once the socket is registered: where the agent stands and what they have.
    func welcome(on socket: LiveSocket) async throws {
        try await presence.connect(userID: principal.userID, tenantID: tenantID, node: hub.nodeID, status: initialPresence)
        let capacity = try await presence.capacity(userID: principal.userID, tenantID: tenantID)
        let canSeeQueue = principal.has(.conversationsRead)
        let (settings, mine, queue, name) = try await conversations.database.withTenant(tenantID) { tx in
            let settings = try await ConversationSettings.load(in: tx)
            let name = try await AgentDirectory.displayName(of: principal.userID, in: tx)
            let mine = try await ConversationStore.decode(try await tx.query("""
                SELECT \(unescaped: ConversationStore.columns) FROM conversations
                WHERE assignee_id = \(principal.userID) AND status IN ('open', 'pending', 'snoozed') ORDER BY assigned_at
                """), tenantID: tx.tenantID)
            let queue = canSeeQueue ? try await ConversationStore.decode(try await tx.query("""
                SELECT \(unescaped: ConversationStore.columns) FROM conversations
                WHERE status = 'queued' ORDER BY queued_at, id LIMIT 200
                """), tenantID: tx.tenantID) : []
            return (settings, mine, queue, name)
        }
        socket.state.withLock { $0.maxMessageBytes = settings.maxMessageBytes }
        displayName.withLock { $0 = name }
        // Every own conversation is followed; the welcome lists the most recently active (an
        // agent with thousands would otherwise get megabytes before anything else).
        let listed = mine.sorted { Self.activity($0) > Self.activity($1) }.prefix(Self.welcomeConversations)
        socket.send(.agentWelcome(AgentWelcome(
            userId: principal.userID, presence: initialPresence.rawValue, capacity: capacity, permissions: principal.permissions.map(\.rawValue).sorted(),
            conversations: listed.map(ConversationView.init), conversationsTotal: mine.count, queue: queue.map(ConversationView.init))))
        for conversation in mine {
            socket.remember(conversation)
            await hub.follow(socket, conversationID: conversation.id, after: conversation.lastSeq)
        }
        await conversations.drainQueue(tenantID: tenantID)
    }

    func handle(_ fields: FrameFields, on socket: LiveSocket) async throws {
        let ref = fields.ref
        switch try AgentFrame(fields) {
        case .subscribe(let conversationID, let afterSeq):
            let conversation = try await visibleConversation(conversationID)
            socket.remember(conversation)
            await hub.follow(socket, conversationID: conversation.id, after: min(afterSeq ?? conversation.lastSeq, conversation.lastSeq),
                             resume: afterSeq != nil)
            socket.send(.conversation(conversation))
        case .unsubscribe(let conversationID):
            hub.unfollow(socket, conversationID: conversationID)
            socket.send(.ok(ref: ref))
        case .resume(let lastSeqs):
            try await resume(lastSeqs, ref: ref, on: socket)
        case .history(let conversationID, let beforeSeq, let limit):
            let conversation = try await visibleConversation(conversationID)
            let limit = min(max(limit ?? 50, 1), 200)
            let messages = try await conversations.database.withTenant(tenantID) { tx in
                try await MessageLog.before(beforeSeq, conversationID: conversation.id, limit: limit, in: tx)
            }
            socket.send(.history(ref: ref, conversationID: conversation.id, messages: messages))
        case .send(let conversationID, let clientID, let text, let note):
            try await send(conversationID, clientID: clientID, text: text, note: note, ref: ref, on: socket)
        case .accept(let conversationID):
            _ = try await conversations.accept(conversationID, by: principal)
            socket.send(.ok(ref: ref))
        case .assign(let conversationID, let agentID, let teamID):
            _ = try await conversations.assign(conversationID, toAgent: agentID, toTeam: teamID, by: principal)
            socket.send(.ok(ref: ref))
        case .resolve(let conversationID):
            _ = try await conversations.resolve(conversationID, by: principal)
            socket.send(.ok(ref: ref))
        case .reopen(let conversationID):
            _ = try await conversations.reopen(conversationID, by: principal)
            socket.send(.ok(ref: ref))
        case .status(let conversationID, let status, let until):
            _ = try await conversations.setStatus(conversationID, to: status, until: until, by: principal)
            socket.send(.ok(ref: ref))
        case .presence(let status):
            try await presence.set(status, userID: principal.userID, tenantID: tenantID)
            socket.send(.ok(ref: ref))
            if status == .online { await conversations.drainQueue(tenantID: tenantID) }
        case .typing(let conversationID, let typing, let note):
            // Advisory: dropped beyond the allowance, and while the writer is pressed (messages first).
            guard socket.state.withLock({ $0.typingAllowance.take() }), !writer.isUnderPressure else { return }
            guard socket.cursor(conversationID) != nil else { throw RealtimeError.conversationNotFound }
            hub.typing(tenantID: tenantID, conversationID: conversationID, senderType: .agent, senderID: principal.userID,
                       typing: typing, visitors: !note, except: socket)
        case .read(let conversationID, let seq):
            let conversation = try await visibleConversation(conversationID)
            try await conversations.markRead(tenantID: tenantID, conversationID: conversation.id, side: .agent, seq: seq)
        case .ping: socket.send(.pong(ref: ref))
        }
    }

    /// After a reconnect: every conversation the client held, replayed after its seq and
    /// followed, each followed by its current state; answered once every replay is written.
    /// Those the agent may no longer see (or that never existed) are named in the answer.
    private func resume(_ lastSeqs: [UUID: Int64], ref: String?, on socket: LiveSocket) async throws {
        let ids = lastSeqs.keys.sorted { $0.uuidString < $1.uuidString }
        let found = try await conversations.database.withTenant(tenantID) { tx in try await ConversationStore.load(ids, in: tx) }
        let visible = found.filter { $0.assigneeID == principal.userID || principal.has(.conversationsRead) }
        let hub = self.hub
        await withTaskGroup(of: Void.self) { group in
            // A few at a time: each replay reads the table and waits for the socket to take it.
            for (index, conversation) in visible.enumerated() {
                if index >= 4 { await group.next() }
                group.addTask {
                    socket.remember(conversation)
                    await hub.follow(socket, conversationID: conversation.id, after: min(lastSeqs[conversation.id] ?? 0, conversation.lastSeq),
                                     resume: true)
                    socket.send(.conversation(conversation))
                }
            }
        }
        let seen = Set(visible.map(\.id))
        socket.send(.resumed(ref: ref, notFound: ids.filter { !seen.contains($0) }))
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

    private func send(_ conversationID: UUID, clientID: String?, text: String?, note: Bool, ref: String?, on socket: LiveSocket) async throws {
        let conversation = try await visibleConversation(conversationID, on: socket)
        let limit = socket.state.withLock { $0.maxMessageBytes }
        let (text, clientID) = try MessageRules.check(text: text, clientID: clientID, maximumBytes: limit)
        try ConversationService.checkReply(conversation, note: note, by: principal)
        let draft: MessageDraft
        switch try await conversations.screen(MessageDraft(tenantID: tenantID, senderType: .agent, text: text),
                                              conversationID: conversation.id, senderID: principal.userID, clientID: clientID) {
        case .store(let screened): draft = screened
        case .alreadyStored(let result):
            socket.send(.ack(ref: ref, result))
            return
        }
        if socket.cursor(conversation.id) == nil {
            socket.remember(conversation)
            await hub.follow(socket, conversationID: conversation.id, after: conversation.lastSeq)
        }
        let message = NewMessage(tenantID: tenantID, conversationID: conversation.id, senderType: .agent, senderID: principal.userID,
                                 kind: note ? .note : .text, body: draft.text, clientID: clientID, senderName: displayName.withLock { $0 },
                                 flag: draft.flag)
        writer.submit(message) { result in
            switch result {
            case .success(let appended): socket.send(.ack(ref: ref, appended))
            case .failure(let error): socket.send(.error(ref: ref, error as? RealtimeError ?? .unavailable))
            }
        }
    }
}

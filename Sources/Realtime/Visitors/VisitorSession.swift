import Foundation
import Synchronization
import Tenancy

/// A visitor's socket after the upgrade: `hello` first (who they are, where they are, the
/// last `seq` they saw), then sends, typing, read receipts, history of their own conversation
/// and a rating. A visitor reaches nothing but their own conversation.
final class VisitorSession: SocketSession {
    let tenantID: UUID
    let widget: Widget
    let directory: VisitorDirectory
    let conversations: ConversationService
    let writer: MessageWriter
    let hub: Hub
    /// Answers conversations the bot holds; nil on nodes without it (tests).
    let bot: BotResponder?
    /// An anonymous hello's details, kept until the visitor's row is written (`createVisitor`).
    let pendingHello = Mutex<VisitorDirectory.Hello?>(nil)

    init(tenantID: UUID, widget: Widget, directory: VisitorDirectory, conversations: ConversationService, writer: MessageWriter, hub: Hub,
         bot: BotResponder?) {
        self.tenantID = tenantID
        self.widget = widget
        self.directory = directory
        self.conversations = conversations
        self.writer = writer
        self.hub = hub
        self.bot = bot
    }

    func handle(_ fields: FrameFields, on socket: LiveSocket) async throws {
        let ref = fields.ref
        let frame = try VisitorFrame(fields)
        let visitorID = socket.state.withLock { $0.visitorID }
        guard let visitorID else {
            guard case .hello(let hello) = frame else { throw RealtimeError.invalid("Send \"hello\" first.") }
            try await self.hello(hello, on: socket)
            return
        }
        switch frame {
        case .send(let clientID, let text, let newConversation):
            try await send(clientID: clientID, text: text, newConversation: newConversation, ref: ref, visitorID: visitorID, on: socket)
        case .profile(let identity, let profile):
            try await update(identity: identity, profile: profile, visitorID: visitorID, on: socket)
            socket.send(.ok(ref: ref))
        case .typing(let typing):
            // Typing is advisory: beyond a couple a second, or while the writer is pressed (messages
            // first), extra frames are dropped silently.
            guard !writer.isUnderPressure, let conversationID = socket.state.withLock({ $0.typingAllowance.take() ? $0.conversationID : nil }) else { return }
            hub.typing(tenantID: tenantID, conversationID: conversationID, senderType: .visitor, senderID: visitorID,
                       typing: typing, visitors: true, except: socket)
        case .read(let seq):
            guard socket.state.withLock({ $0.readAllowance.take() }) else { throw RealtimeError.rateLimited }
            guard let conversationID = socket.state.withLock({ $0.conversationID }) else { throw RealtimeError.conversationNotFound }
            try await conversations.markRead(tenantID: tenantID, conversationID: conversationID, side: .visitor, seq: seq)
        case .history(let beforeSeq, let limit):
            guard let conversationID = socket.state.withLock({ $0.conversationID }) else {
                socket.send(.history(ref: ref, conversationID: nil, messages: []))
                return
            }
            let limit = min(max(limit ?? 50, 1), 200)
            let messages = try await conversations.database.withTenant(tenantID) { tx in
                try await MessageLog.before(beforeSeq, conversationID: conversationID, limit: limit, visitorView: true, in: tx)
            }
            socket.send(.history(ref: ref, conversationID: conversationID, messages: messages))
        case .rate(let rating, let comment):
            guard let conversationID = socket.state.withLock({ $0.conversationID }) else { throw RealtimeError.conversationNotFound }
            try await conversations.rate(tenantID: tenantID, visitorID: visitorID, conversationID: conversationID, rating: rating, comment: comment)
            socket.send(.ok(ref: ref))
        case .handoff:
            // A no-op unless the bot holds the conversation (the socket's snapshot may be behind).
            guard let conversationID = socket.state.withLock({ $0.conversationID }) else { throw RealtimeError.conversationNotFound }
            hub.botStreams.stop(conversationID)
            try await conversations.handoff(tenantID: tenantID, conversationID: conversationID, reason: "requested")
            socket.send(.ok(ref: ref))
        case .ping: socket.send(.pong(ref: ref))
        case .hello: throw RealtimeError.invalid("\"hello\" was already sent.")
        }
    }

    private func hello(_ frame: VisitorFrame.Hello, on socket: LiveSocket) async throws {
        if let version = frame.version, version != RealtimeProtocol.version {
            throw RealtimeError.invalid("This server speaks protocol version \(RealtimeProtocol.version).")
        }
        let hello = try described(token: frame.token, identity: frame.identity, profile: frame.profile, page: frame.page, language: frame.language)
        guard let (visitorID, newToken) = try await directory.identify(hello, widget: widget, tenantID: tenantID, origin: socket.origin) else {
            // Nobody known and nothing to keep: no row yet (a flood of anonymous connects grows
            // no table). The welcome announces the id the row will have; the token follows in a
            // `visitor` frame once the visitor does something that needs the row.
            let visitorID = UUID()
            pendingHello.withLock { $0 = hello }
            socket.state.withLock { $0.visitorID = visitorID }
            let agentsOnline = try await hub.agentsOnline.agentsOnline(tenantID: tenantID, teamID: widget.teamID, database: conversations.database)
            socket.send(.visitorWelcome(VisitorWelcome(visitorId: visitorID, token: nil, conversation: nil, widget: await welcomeWidget(agentsOnline: agentsOnline))))
            return
        }
        let (settings, conversation) = try await conversations.database.withTenant(tenantID) { tx in
            let settings = try await ConversationSettings.load(in: tx)
            return (settings, try await ConversationStore.current(visitorID: visitorID, reopenWindowMinutes: settings.reopenWindowMinutes, in: tx))
        }
        let agentsOnline = try await hub.agentsOnline.agentsOnline(tenantID: tenantID, teamID: widget.teamID, database: conversations.database)
        socket.state.withLock { state in
            state.visitorID = visitorID
            state.conversationID = conversation?.id
            if let conversation { state.snapshots[conversation.id] = conversation }
            state.maxMessageBytes = settings.maxMessageBytes
        }
        socket.send(.visitorWelcome(VisitorWelcome(
            visitorId: visitorID, token: newToken, conversation: conversation.map(ConversationView.init), widget: await welcomeWidget(agentsOnline: agentsOnline))))
        if let conversation {
            await hub.follow(socket, conversationID: conversation.id, after: frame.lastSeq ?? 0, resume: true)
            if conversation.status == .queued { await hub.pushQueuePositions(tenantID: tenantID, only: socket) }
        }
    }

    /// The widget as the visitor's `welcome` describes it.
    private func welcomeWidget(agentsOnline: Bool) async -> VisitorWelcome.WidgetInfo {
        let withBot = await bot?.answersNow(widget, tenantID: tenantID, recent: true) ?? false
        return .init(name: widget.name, greeting: widget.greeting, online: widget.businessHours?.isOpen(at: Date()) ?? true, agentsOnline: agentsOnline,
              offlineBehavior: widget.offlineBehavior.rawValue, themeColor: widget.themeColor, position: widget.position.rawValue,
              preChatFields: widget.preChatFields, bot: withBot)
    }

    /// Writes the row an anonymous hello put off, with that hello's page, referrer and language,
    /// and hands the visitor their token in a `visitor` frame.
    func createVisitor(_ hello: VisitorDirectory.Hello, visitorID: UUID, on socket: LiveSocket) async throws {
        let token = try await directory.create(hello, id: visitorID, widget: widget, tenantID: tenantID, origin: socket.origin)
        pendingHello.withLock { $0 = nil }
        socket.send(.visitor(visitorID: visitorID, token: token))
    }

    /// A send to the visitor's conversation while its writer shard is behind: refused as it
    /// arrives, as the shard would refuse it (`overloaded`, with `retryAfterMs`). One lock while
    /// the shard keeps up; the frame is read only when it is behind.
    func refusalOnArrival(_ text: String, on socket: LiveSocket) -> (ref: String?, RealtimeError)? {
        guard let conversationID = socket.state.withLock({ $0.conversationID }),
              let refusal = writer.refusal(forConversation: conversationID),
              let fields = FlatFrameParser.parse(text), case .string("send")? = fields["type"] else { return nil }
        // A send that starts a new conversation goes to another shard, perhaps one with room.
        if case .bool(true)? = fields["newConversation"] { return nil }
        if case .string(let ref)? = fields["ref"] { return (ref, refusal) }
        return (nil, refusal)
    }

    private func send(clientID: String?, text: String?, newConversation: Bool, ref: String?, visitorID: UUID, on socket: LiveSocket) async throws {
        guard socket.state.withLock({ $0.sendAllowance.take() }) else { throw RealtimeError.rateLimited }
        let pending = pendingHello.withLock { $0 }
        if pending != nil {
            // The tenant's text limit, which an anonymous hello did not read.
            let settings = try await conversations.database.withTenant(tenantID) { tx in try await ConversationSettings.load(in: tx) }
            socket.state.withLock { $0.maxMessageBytes = settings.maxMessageBytes }
        }
        let limit = socket.state.withLock { $0.maxMessageBytes }
        let (text, clientID) = try MessageRules.check(text: text, clientID: clientID, maximumBytes: limit)
        // Before anything is written: a blocked first message leaves no visitor and no conversation.
        let draft: MessageDraft
        switch try await conversations.screen(MessageDraft(tenantID: tenantID, senderType: .visitor, text: text),
                                              conversationID: socket.state.withLock({ $0.conversationID }), senderID: visitorID, clientID: clientID) {
        case .store(let screened): draft = screened
        case .alreadyStored(let result):
            socket.send(.ack(ref: ref, result))
            return
        }
        if let pending { try await createVisitor(pending, visitorID: visitorID, on: socket) }
        // The conversation as this socket last saw it: no read before each send. One resolved a
        // moment ago (not seen here yet) reports its status with the append, and is reopened then.
        var current = socket.state.withLock { state in state.conversationID.flatMap { state.snapshots[$0] } }
        if current == nil || current?.status == .resolved {
            // `newConversation`: a resolved one (rated, perhaps) stays as it is, however recent.
            current = try await openConversation(visitorID: visitorID, reopening: !newConversation, on: socket)
        }
        guard let conversationID = current?.id else { throw RealtimeError.conversationNotFound }
        let message = NewMessage(tenantID: tenantID, conversationID: conversationID, senderType: .visitor, senderID: visitorID,
                                 kind: .text, body: draft.text, clientID: clientID, flag: draft.flag)
        writer.submit(message) { result in
            switch result {
            case .success(let appended):
                socket.send(.ack(ref: ref, appended))
                guard !appended.duplicate else { return }
                // Background work takes these: the writer, whose completion this is, stops before it.
                switch appended.conversationStatus {
                case .bot?:
                    self.bot?.visitorWrote(tenantID: self.tenantID, conversationID: conversationID, widget: self.widget)
                case .resolved?:
                    self.hub.background.spawn { _ = try? await self.openConversation(visitorID: visitorID, on: socket) }
                case .pending?, .snoozed?:
                    // The visitor answered: the conversation is the agent's to act on again.
                    let tenantID = self.tenantID
                    self.hub.background.spawn {
                        try? await self.conversations.wake(tenantID: tenantID, conversationID: conversationID, reason: "visitor-replied")
                    }
                default:
                    break
                }
            case .failure(let error):
                socket.send(.error(ref: ref, error as? RealtimeError ?? .unavailable))
            }
        }
    }

    /// The conversation the visitor's messages go to now (reopened or new if needed), followed
    /// by this socket from its first event.
    private func openConversation(visitorID: UUID, reopening: Bool = true, on socket: LiveSocket) async throws -> Conversation {
        let settings = try await conversations.database.withTenant(tenantID) { tx in try await ConversationSettings.load(in: tx) }
        let hub = self.hub
        let withBot = await bot?.answersNow(widget, tenantID: tenantID) ?? false
        let conversation = try await conversations.conversationForVisitorMessage(
            tenantID: tenantID, visitorID: visitorID, widget: widget, settings: settings, reopening: reopening, withBot: withBot
        ) { conversation in
            socket.state.withLock { $0.conversationID = conversation.id }
            socket.remember(conversation)
            if socket.cursor(conversation.id) == nil {
                await hub.follow(socket, conversationID: conversation.id, after: conversation.lastSeq)
            }
            socket.send(.conversation(conversation))
        }
        socket.remember(conversation)
        if conversation.status == .queued { await hub.pushQueuePositions(tenantID: tenantID, only: socket) }
        return conversation
    }

    /// What a `hello` or `profile` frame says about the visitor, checked: the identity proof
    /// against the widget's secret, every field against its limit.
    func described(token: String?, identity: FrameFields.Identity?, profile: FrameFields.Profile?, page: FrameFields.Page?,
                   language: String?) throws(RealtimeError) -> VisitorDirectory.Hello {
        var verifiedUserID: String?
        if let identity {
            guard (1...200).contains(identity.userId.count) else { throw .tooLarge("\"identity.userId\" must be 1 to 200 characters.") }
            guard VisitorDirectory.verify(userID: identity.userId, hash: identity.hash, secret: widget.identitySecret) else {
                throw .forbidden("The identity hash does not match (HMAC-SHA256 of userId with the widget's identity secret).")
            }
            verifiedUserID = identity.userId
        }
        return VisitorDirectory.Hello(
            token: token, verifiedUserID: verifiedUserID,
            name: try Self.bounded(profile?.name, 200, "profile.name"), email: try Self.bounded(profile?.email, 254, "profile.email"),
            phone: try Self.bounded(profile?.phone, 50, "profile.phone"), attributes: try Self.attributes(profile?.attributes),
            pageURL: try Self.bounded(page?.url, 2048, "page.url"), referrer: try Self.bounded(page?.referrer, 2048, "page.referrer"),
            language: try Self.bounded(language, 35, "language"))
    }

    static func bounded(_ value: String?, _ limit: Int, _ name: String) throws(RealtimeError) -> String? {
        guard let value else { return nil }
        guard value.count <= limit else { throw .tooLarge("\"\(name)\" is longer than \(limit) characters.") }
        return value
    }

    static func attributes(_ value: [String: AttributeValue]?) throws(RealtimeError) -> [String: AttributeValue]? {
        guard let value else { return nil }
        guard value.count <= 50 else { throw .tooLarge("\"profile.attributes\" has more than 50 entries.") }
        for (key, entry) in value {
            guard (1...64).contains(key.count) else { throw .invalid("Attribute names are 1 to 64 characters.") }
            if case .string(let text) = entry, text.count > 1000 { throw .tooLarge("Attribute \"\(key)\" is longer than 1000 characters.") }
        }
        return value
    }
}

extension Optional where Wrapped: Sendable {
    func asyncMap<Result>(_ transform: (Wrapped) async throws -> Result) async rethrows -> Result? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

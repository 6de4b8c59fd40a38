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
    /// An anonymous hello's details, kept until the visitor's row is written (`createVisitor`).
    private let pendingHello = Mutex<VisitorDirectory.Hello?>(nil)

    init(tenantID: UUID, widget: Widget, directory: VisitorDirectory, conversations: ConversationService, writer: MessageWriter, hub: Hub) {
        self.tenantID = tenantID
        self.widget = widget
        self.directory = directory
        self.conversations = conversations
        self.writer = writer
        self.hub = hub
    }

    func handle(_ frame: ClientFrame, on socket: LiveSocket) async throws {
        let visitorID = socket.state.withLock { $0.visitorID }
        guard let visitorID else {
            guard frame.type == "hello" else { throw RealtimeError.invalid("Send \"hello\" first.") }
            try await hello(frame, on: socket)
            return
        }
        switch frame.type {
        case "send": try await send(frame, visitorID: visitorID, on: socket)
        case "typing":
            // Typing is advisory: beyond a couple a second, or while the writer is pressed (messages
            // first), extra frames are dropped silently.
            guard !writer.isUnderPressure, let conversationID = socket.state.withLock({ $0.typingAllowance.take() ? $0.conversationID : nil }) else { return }
            hub.typing(tenantID: tenantID, conversationID: conversationID, senderType: .visitor, senderID: visitorID,
                       typing: frame.typing ?? true, visitors: true, except: socket)
        case "read":
            guard socket.state.withLock({ $0.readAllowance.take() }) else { throw RealtimeError.rateLimited }
            guard let conversationID = socket.state.withLock({ $0.conversationID }) else { throw RealtimeError.conversationNotFound }
            try await conversations.markRead(tenantID: tenantID, conversationID: conversationID, side: .visitor, seq: try frame.required(frame.seq, "seq"))
        case "history":
            guard let conversationID = socket.state.withLock({ $0.conversationID }) else {
                socket.send(.history(ref: frame.ref, conversationID: nil, messages: []))
                return
            }
            let limit = min(max(frame.limit ?? 50, 1), 200)
            let messages = try await conversations.database.withTenant(tenantID) { tx in
                try await MessageLog.before(frame.beforeSeq, conversationID: conversationID, limit: limit, visitorView: true, in: tx)
            }
            socket.send(.history(ref: frame.ref, conversationID: conversationID, messages: messages))
        case "rate":
            guard let conversationID = socket.state.withLock({ $0.conversationID }) else { throw RealtimeError.conversationNotFound }
            try await conversations.rate(tenantID: tenantID, visitorID: visitorID, conversationID: conversationID,
                                         rating: try frame.required(frame.rating, "rating"), comment: frame.comment)
            socket.send(.ok(ref: frame.ref))
        case "ping": socket.send(.pong(ref: frame.ref))
        case "hello": throw RealtimeError.invalid("\"hello\" was already sent.")
        default: throw RealtimeError.invalid("Unknown frame type \"\(frame.type.prefix(40))\".")
        }
    }

    private func hello(_ frame: ClientFrame, on socket: LiveSocket) async throws {
        if let version = frame.v, version != RealtimeProtocol.version {
            throw RealtimeError.invalid("This server speaks protocol version \(RealtimeProtocol.version).")
        }
        var verifiedUserID: String?
        if let identity = frame.identity {
            guard (1...200).contains(identity.userId.count) else { throw RealtimeError.tooLarge("\"identity.userId\" must be 1 to 200 characters.") }
            guard VisitorDirectory.verify(userID: identity.userId, hash: identity.hash, secret: widget.identitySecret) else {
                throw RealtimeError.forbidden("The identity hash does not match (HMAC-SHA256 of userId with the widget's identity secret).")
            }
            verifiedUserID = identity.userId
        }
        let profile = frame.profile
        let hello = VisitorDirectory.Hello(
            token: frame.token, verifiedUserID: verifiedUserID,
            name: try Self.bounded(profile?.name, 200, "profile.name"), email: try Self.bounded(profile?.email, 254, "profile.email"),
            phone: try Self.bounded(profile?.phone, 50, "profile.phone"), attributes: try Self.attributes(profile?.attributes),
            pageURL: try Self.bounded(frame.page?.url, 2048, "page.url"), referrer: try Self.bounded(frame.page?.referrer, 2048, "page.referrer"),
            language: try Self.bounded(frame.language, 35, "language"))
        guard let (visitorID, newToken) = try await directory.identify(hello, widget: widget, tenantID: tenantID, origin: socket.origin) else {
            // Nobody known and nothing to keep: no row yet (a flood of anonymous connects grows
            // no table). The welcome announces the id the row will have; the token follows in a
            // `visitor` frame once the visitor does something that needs the row.
            let visitorID = UUID()
            pendingHello.withLock { $0 = hello }
            socket.state.withLock { $0.visitorID = visitorID }
            socket.send(.visitorWelcome(VisitorWelcome(visitorId: visitorID, token: nil, conversation: nil, widget: welcomeWidget)))
            return
        }
        let (settings, conversation) = try await conversations.database.withTenant(tenantID) { tx in
            let settings = try await ConversationSettings.load(in: tx)
            return (settings, try await ConversationStore.current(visitorID: visitorID, reopenWindowMinutes: settings.reopenWindowMinutes, in: tx))
        }
        socket.state.withLock { state in
            state.visitorID = visitorID
            state.conversationID = conversation?.id
            if let conversation { state.snapshots[conversation.id] = conversation }
            state.maxMessageBytes = settings.maxMessageBytes
        }
        socket.send(.visitorWelcome(VisitorWelcome(
            visitorId: visitorID, token: newToken, conversation: conversation.map(ConversationView.init), widget: welcomeWidget)))
        if let conversation {
            await hub.follow(socket, conversationID: conversation.id, after: frame.lastSeq ?? 0, resume: true)
            if conversation.status == .queued { await hub.pushQueuePositions(tenantID: tenantID, only: socket) }
        }
    }

    /// The widget as the visitor's `welcome` describes it.
    private var welcomeWidget: VisitorWelcome.WidgetInfo {
        .init(greeting: widget.greeting, online: widget.businessHours?.isOpen(at: Date()) ?? true,
              offlineBehavior: widget.offlineBehavior.rawValue, themeColor: widget.themeColor, preChatFields: widget.preChatFields)
    }

    /// Writes the row an anonymous hello put off, with that hello's page, referrer and language,
    /// and hands the visitor their token in a `visitor` frame.
    private func createVisitor(_ hello: VisitorDirectory.Hello, visitorID: UUID, on socket: LiveSocket) async throws {
        let token = try await directory.create(hello, id: visitorID, widget: widget, tenantID: tenantID, origin: socket.origin)
        pendingHello.withLock { $0 = nil }
        socket.send(.visitor(visitorID: visitorID, token: token))
    }

    private func send(_ frame: ClientFrame, visitorID: UUID, on socket: LiveSocket) async throws {
        guard socket.state.withLock({ $0.sendAllowance.take() }) else { throw RealtimeError.rateLimited }
        let pending = pendingHello.withLock { $0 }
        if pending != nil {
            // The tenant's text limit, which an anonymous hello did not read.
            let settings = try await conversations.database.withTenant(tenantID) { tx in try await ConversationSettings.load(in: tx) }
            socket.state.withLock { $0.maxMessageBytes = settings.maxMessageBytes }
        }
        let limit = socket.state.withLock { $0.maxMessageBytes }
        let (text, clientID) = try MessageRules.check(text: frame.text, clientID: frame.clientId, maximumBytes: limit)
        if let pending { try await createVisitor(pending, visitorID: visitorID, on: socket) }
        // The conversation as this socket last saw it: no read before each send. One resolved a
        // moment ago (not seen here yet) reports its status with the append, and is reopened then.
        var current = socket.state.withLock { state in state.conversationID.flatMap { state.snapshots[$0] } }
        if current == nil || current?.status == .resolved {
            current = try await openConversation(visitorID: visitorID, on: socket)
        }
        guard let conversationID = current?.id else { throw RealtimeError.conversationNotFound }
        let message = NewMessage(tenantID: tenantID, conversationID: conversationID, senderType: .visitor, senderID: visitorID,
                                 kind: .text, body: text, clientID: clientID)
        let ref = frame.ref
        writer.submit(message) { result in
            switch result {
            case .success(let appended):
                socket.send(.ack(ref: ref, appended))
                guard !appended.duplicate else { return }
                switch appended.conversationStatus {
                case .resolved?:
                    Task { _ = try? await self.openConversation(visitorID: visitorID, on: socket) }
                case .pending?, .snoozed?:
                    // The visitor answered: the conversation is the agent's to act on again.
                    let tenantID = self.tenantID
                    Task { try? await self.conversations.wake(tenantID: tenantID, conversationID: conversationID, reason: "visitor-replied") }
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
    private func openConversation(visitorID: UUID, on socket: LiveSocket) async throws -> Conversation {
        let settings = try await conversations.database.withTenant(tenantID) { tx in try await ConversationSettings.load(in: tx) }
        let hub = self.hub
        let conversation = try await conversations.conversationForVisitorMessage(
            tenantID: tenantID, visitorID: visitorID, widget: widget, settings: settings
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

import Foundation

/// One committed message of a conversation. `seq` numbers a conversation's messages 1, 2, 3…
/// without gaps; clients resume from the last `seq` they saw.
public struct Message: Sendable, Equatable {
    public enum SenderType: String, Sendable, Codable, CaseIterable {
        case visitor, agent, bot, system
    }

    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Plain text, shown to both sides.
        case text
        /// An uploaded image or file; `body` is its file name.
        case attachment
        /// A private note: agents only, never sent to the visitor.
        case note
        /// A system event (assigned, transferred, resolved…); `body` is its JSON description.
        case event
    }

    public let tenantID: UUID
    public let conversationID: UUID
    public let seq: Int64
    public let id: UUID
    public let senderType: SenderType
    public let senderID: UUID?
    public let kind: Kind
    public let body: String
    public let attachmentID: UUID?
    public let clientID: String?
    public let createdAt: Date
    /// An agent sender's display name (never their email), for the visitor to see who wrote.
    public let senderName: String?

    public init(tenantID: UUID, conversationID: UUID, seq: Int64, id: UUID, senderType: SenderType, senderID: UUID?,
                kind: Kind, body: String, attachmentID: UUID?, clientID: String?, createdAt: Date, senderName: String? = nil) {
        self.tenantID = tenantID
        self.conversationID = conversationID
        self.seq = seq
        self.id = id
        self.senderType = senderType
        self.senderID = senderID
        self.kind = kind
        self.body = body
        self.attachmentID = attachmentID
        self.clientID = clientID
        self.createdAt = createdAt
        self.senderName = senderName
    }

    /// Whether the visitor may see this message (notes are for agents only).
    public var isVisibleToVisitor: Bool { kind != .note }
}

/// A message to append: what a sender submits before it has a `seq`.
public struct NewMessage: Sendable, Equatable {
    public let tenantID: UUID
    public let conversationID: UUID
    public let senderType: Message.SenderType
    public let senderID: UUID?
    public let kind: Message.Kind
    public let body: String
    public let attachmentID: UUID?
    /// The sender's own id for this send; a retry with the same id is stored once.
    public let clientID: String?
    /// The agent sender's display name, carried to the committed message's frames.
    public let senderName: String?
    /// A sensitive-word rule asked for review: written with the message, in its transaction.
    public let flag: WordFlag?

    public init(tenantID: UUID, conversationID: UUID, senderType: Message.SenderType, senderID: UUID?, kind: Message.Kind,
                body: String, attachmentID: UUID? = nil, clientID: String? = nil, senderName: String? = nil, flag: WordFlag? = nil) {
        self.tenantID = tenantID
        self.conversationID = conversationID
        self.senderType = senderType
        self.senderID = senderID
        self.kind = kind
        self.body = body
        self.attachmentID = attachmentID
        self.clientID = clientID
        self.senderName = senderName
        self.flag = flag
    }

    /// Client ids are scoped to their sender, so one sender cannot collide with another's.
    var clientKey: String? {
        clientID.map { Self.clientKey($0, senderType: senderType, senderID: senderID) }
    }

    static func clientKey(_ clientID: String, senderType: Message.SenderType, senderID: UUID?) -> String {
        "\(senderType.rawValue):\(senderID?.uuidString.lowercased() ?? ""):\(clientID)"
    }

    func committed(id: UUID, seq: Int64, at createdAt: Date) -> Message {
        Message(tenantID: tenantID, conversationID: conversationID, seq: seq, id: id, senderType: senderType, senderID: senderID,
                kind: kind, body: body, attachmentID: attachmentID, clientID: clientID, createdAt: createdAt, senderName: senderName)
    }
}

/// What every sender's text must satisfy before it is queued for the writer.
enum MessageRules {
    static func check(text: String?, clientID: String?, maximumBytes: Int) throws(RealtimeError) -> (text: String, clientID: String) {
        guard let clientID, !clientID.isEmpty, clientID.utf8.count <= 64 else {
            throw .invalid("\"send\" needs a \"clientId\" of 1 to 64 bytes (the same on every retry).")
        }
        // PostgreSQL text cannot hold NUL: refused here rather than failing a whole batch.
        guard !clientID.utf8.contains(0), !(text?.utf8.contains(0) ?? false) else {
            throw .invalid("\"text\" and \"clientId\" must not contain NUL characters.")
        }
        // White_Space covers what Foundation's whitespacesAndNewlines does, without bridging.
        guard let text, text.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else { throw .invalid("\"text\" is empty.") }
        guard text.utf8.count <= maximumBytes else { throw .tooLarge("\"text\" is longer than \(maximumBytes) bytes.") }
        return (text, clientID)
    }
}

/// The outcome of an append, given to the sender only once it is committed.
public struct AppendResult: Sendable, Equatable {
    public let message: Message
    /// True when this client id was already stored: `message` is the stored one.
    public let duplicate: Bool
    /// The conversation's status when the message was appended (a visitor's message to a
    /// conversation resolved a moment ago reopens it).
    public let conversationStatus: Conversation.Status?

    public init(message: Message, duplicate: Bool, conversationStatus: Conversation.Status? = nil) {
        self.message = message
        self.duplicate = duplicate
        self.conversationStatus = conversationStatus
    }
}

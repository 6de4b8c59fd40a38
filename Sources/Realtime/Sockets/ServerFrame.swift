import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A frame the server sends. Encoded once per event, then written to every socket that gets it.
enum ServerFrame: Sendable {
    case visitorWelcome(VisitorWelcome)
    /// The visitor's row now exists (after an anonymous hello): their token, to keep.
    case visitor(visitorID: UUID, token: String)
    case agentWelcome(AgentWelcome)
    case ack(ref: String?, AppendResult)
    case message(Message)
    case typing(conversationID: UUID, senderType: Message.SenderType, senderID: UUID?, typing: Bool)
    case read(conversationID: UUID, side: Message.SenderType, seq: Int64)
    case conversation(Conversation)
    case queue(conversationID: UUID, position: Int)
    case history(ref: String?, conversationID: UUID?, messages: [Message])
    case ok(ref: String?)
    /// The answer to `resume` (an `ok`), naming the conversations that could not be resumed.
    case resumed(ref: String?, notFound: [UUID])
    case error(ref: String?, RealtimeError)
    case reconnect(reason: String)
    case pong(ref: String?)
    /// More of the bot's answer, as the provider writes it (`stream`). The answer is stored once
    /// complete and arrives as a `message` whose `clientId` is the stream id.
    /// `offset`: the scalars of the answer shown before this delta (a client that missed them waits for the stored answer).
    case botDelta(conversationID: UUID, streamID: String, offset: Int, delta: String)
    /// The bot's answer so far is withdrawn: nothing of it is stored (`streamWithdrawn`).
    case botWithdrawn(conversationID: UUID, streamID: String, reason: String)

    var json: String {
        switch self {
        case .ack(let ref, let result): return FastFrames.ack(ref: ref, result)
        case .message(let message): return FastFrames.message(message)
        case .error(let ref, let error): return FastFrames.error(ref: ref, error)
        default: return encoded
        }
    }

    /// The frame through the general encoder (the fast paths must match it).
    var encoded: String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ServerFrame.timestamp(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Body(self))) ?? Data(#"{"type":"error","code":"internal","message":"Frame encoding failed."}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// ISO 8601 in UTC with milliseconds (`2026-11-23T17:22:29.945Z`), written by hand: every
    /// message frame carries one, and the general date formatters cost more than the rest.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }
}

struct VisitorWelcome: Encodable, Sendable {
    let v = RealtimeProtocol.version
    let visitorId: UUID
    /// Present only when a new token was issued: the client keeps it for later page loads.
    let token: String?
    let conversation: ConversationView?
    let widget: WidgetInfo

    struct WidgetInfo: Encodable, Sendable {
        let name: String
        let greeting: String
        let online: Bool
        /// Some agent who could take the conversation is online now.
        let agentsOnline: Bool
        let offlineBehavior: String
        let themeColor: String
        let position: String
        let preChatFields: [Widget.PreChatField]
        /// New conversations start with the bot: the widget offers "talk to a human".
        let bot: Bool
    }
}

struct AgentWelcome: Encodable, Sendable {
    let v = RealtimeProtocol.version
    let userId: UUID
    let presence: String
    let capacity: Int
    let permissions: [String]
    /// The most recently active of the agent's own conversations (at most 200).
    let conversations: [ConversationView]
    /// How many own conversations the socket follows (more than listed when over 200).
    let conversationsTotal: Int
    let queue: [ConversationView]
}

/// The wire protocol's version, sent in every welcome.
public enum RealtimeProtocol {
    public static let version = 1
}

public struct MessageView: Codable, Sendable {
    public let conversationId: UUID
    public let seq: Int64
    public let id: UUID
    public let senderType: Message.SenderType
    public let senderId: UUID?
    public let kind: Message.Kind
    public let text: String
    public let attachmentId: UUID?
    public let clientId: String?
    public let createdAt: Date
    /// An agent sender's display name.
    public let senderName: String?

    public init(_ message: Message) {
        conversationId = message.conversationID
        seq = message.seq
        id = message.id
        senderType = message.senderType
        senderId = message.senderID
        kind = message.kind
        text = message.body
        attachmentId = message.attachmentID
        clientId = message.clientID
        createdAt = message.createdAt
        senderName = message.senderName
    }
}

/// The frame as JSON: `type` first among flat fields, as documented in `docs/protocol.md`.
private struct Body: Encodable {
    let frame: ServerFrame
    init(_ frame: ServerFrame) { self.frame = frame }

    enum Key: String, CodingKey {
        case type, ref, v, visitorId, token, conversation, widget, userId, presence, capacity, permissions, conversations, queue
        case clientId, conversationId, messageId, seq, duplicate, message, senderType, senderId, typing, side, position, messages
        case code, reason, retryAfterMs, notFound, category, streamId, delta, offset
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch frame {
        case .visitorWelcome(let welcome):
            try container.encode("welcome", forKey: .type)
            try welcome.encode(to: encoder)
        case .agentWelcome(let welcome):
            try container.encode("welcome", forKey: .type)
            try welcome.encode(to: encoder)
        case .visitor(let visitorID, let token):
            try container.encode("visitor", forKey: .type)
            try container.encode(visitorID, forKey: .visitorId)
            try container.encode(token, forKey: .token)
        case .ack(let ref, let result):
            try container.encode("ack", forKey: .type)
            try container.encodeIfPresent(ref, forKey: .ref)
            try container.encodeIfPresent(result.message.clientID, forKey: .clientId)
            try container.encode(result.message.conversationID, forKey: .conversationId)
            try container.encode(result.message.id, forKey: .messageId)
            try container.encode(result.message.seq, forKey: .seq)
            try container.encode(result.duplicate, forKey: .duplicate)
        case .message(let message):
            try container.encode("message", forKey: .type)
            try container.encode(MessageView(message), forKey: .message)
        case .typing(let conversationID, let senderType, let senderID, let typing):
            try container.encode("typing", forKey: .type)
            try container.encode(conversationID, forKey: .conversationId)
            try container.encode(senderType, forKey: .senderType)
            try container.encodeIfPresent(senderID, forKey: .senderId)
            try container.encode(typing, forKey: .typing)
        case .read(let conversationID, let side, let seq):
            try container.encode("read", forKey: .type)
            try container.encode(conversationID, forKey: .conversationId)
            try container.encode(side, forKey: .side)
            try container.encode(seq, forKey: .seq)
        case .conversation(let conversation):
            try container.encode("conversation", forKey: .type)
            try container.encode(ConversationView(conversation), forKey: .conversation)
        case .queue(let conversationID, let position):
            try container.encode("queue", forKey: .type)
            try container.encode(conversationID, forKey: .conversationId)
            try container.encode(position, forKey: .position)
        case .history(let ref, let conversationID, let messages):
            try container.encode("history", forKey: .type)
            try container.encodeIfPresent(ref, forKey: .ref)
            try container.encodeIfPresent(conversationID, forKey: .conversationId)
            try container.encode(messages.map(MessageView.init), forKey: .messages)
        case .ok(let ref):
            try container.encode("ok", forKey: .type)
            try container.encodeIfPresent(ref, forKey: .ref)
        case .resumed(let ref, let notFound):
            try container.encode("ok", forKey: .type)
            try container.encodeIfPresent(ref, forKey: .ref)
            try container.encode(notFound, forKey: .notFound)
        case .error(let ref, let error):
            try container.encode("error", forKey: .type)
            try container.encodeIfPresent(ref, forKey: .ref)
            try container.encode(error.code, forKey: .code)
            try container.encode(error.message, forKey: .message)
            try container.encodeIfPresent(error.category, forKey: .category)
            try container.encodeIfPresent(error.retryAfterMilliseconds, forKey: .retryAfterMs)
        case .reconnect(let reason):
            try container.encode("reconnect", forKey: .type)
            try container.encode(reason, forKey: .reason)
        case .pong(let ref):
            try container.encode("pong", forKey: .type)
            try container.encodeIfPresent(ref, forKey: .ref)
        case .botDelta(let conversationID, let streamID, let offset, let delta):
            try container.encode("stream", forKey: .type)
            try container.encode(conversationID, forKey: .conversationId)
            try container.encode(streamID, forKey: .streamId)
            try container.encode(offset, forKey: .offset)
            try container.encode(delta, forKey: .delta)
        case .botWithdrawn(let conversationID, let streamID, let reason):
            try container.encode("streamWithdrawn", forKey: .type)
            try container.encode(conversationID, forKey: .conversationId)
            try container.encode(streamID, forKey: .streamId)
            try container.encode(reason, forKey: .reason)
        }
    }
}

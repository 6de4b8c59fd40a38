import Foundation
import Realtime

/// A row of the conversation list: the conversation's own fields, flat as everywhere else, plus
/// `visitor` (name and email) and `lastMessage` (the start of its latest text, note or file), so
/// an inbox draws a row without a request per row.
public struct ListedConversationView: Codable, Sendable {
    public let conversation: ConversationView
    public let visitor: VisitorSummary
    public let lastMessage: ConversationQueries.Preview?

    public struct VisitorSummary: Codable, Sendable, Equatable {
        public let name: String
        public let email: String
    }

    enum Key: String, CodingKey { case visitor, lastMessage }

    init(_ listed: ConversationQueries.Listed) {
        conversation = ConversationView(listed.conversation)
        visitor = VisitorSummary(name: listed.visitorName, email: listed.visitorEmail)
        lastMessage = listed.lastMessage
    }

    public init(from decoder: any Decoder) throws {
        conversation = try ConversationView(from: decoder)
        let container = try decoder.container(keyedBy: Key.self)
        visitor = try container.decode(VisitorSummary.self, forKey: .visitor)
        lastMessage = try container.decodeIfPresent(ConversationQueries.Preview.self, forKey: .lastMessage)
    }

    public func encode(to encoder: any Encoder) throws {
        try conversation.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(visitor, forKey: .visitor)
        try container.encodeIfPresent(lastMessage, forKey: .lastMessage)
    }
}

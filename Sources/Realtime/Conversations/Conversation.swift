import Foundation

/// A conversation between one visitor and the tenant's agents (and bot).
public struct Conversation: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// The bot is answering.
        case bot
        /// Waiting for an agent.
        case queued
        /// An agent has it.
        case open
        /// Waiting on the visitor.
        case pending
        /// Put aside by its agent until `snoozedUntil`.
        case snoozed
        case resolved

        /// States in which the conversation counts against its agent's capacity.
        public static let holdingAgent: [Status] = [.open, .pending, .snoozed]
    }

    public let tenantID: UUID
    public let id: UUID
    public let widgetID: UUID
    public let visitorID: UUID
    public var teamID: UUID?
    public var assigneeID: UUID?
    public var status: Status
    public var lastSeq: Int64
    public var visitorReadSeq: Int64
    public var agentReadSeq: Int64
    public var queuedAt: Date?
    public var assignedAt: Date?
    public var resolvedAt: Date?
    public var lastMessageAt: Date?
    public var csatRating: Int?
    public var csatComment: String?
    public let createdAt: Date
    public var updatedAt: Date
    public var snoozedUntil: Date?
    /// The assignee's display name (never their email), for the visitor's header.
    public var assigneeName: String? = nil
    /// The visitor's messages after the agents' read position (events, notes and the agents'
    /// and bot's messages are not unread; see migration 0026).
    public var unreadByAgent: Int64 = 0
}

/// How a conversation looks in frames and REST responses.
public struct ConversationView: Codable, Sendable {
    public let id: UUID
    public let status: Conversation.Status
    public let widgetId: UUID
    public let visitorId: UUID
    public let teamId: UUID?
    public let assigneeId: UUID?
    public let assigneeName: String?
    public let lastSeq: Int64
    public let visitorReadSeq: Int64
    public let agentReadSeq: Int64
    public let unread: Int64
    public let queuedAt: Date?
    public let assignedAt: Date?
    public let resolvedAt: Date?
    public let lastMessageAt: Date?
    public let csatRating: Int?
    public let snoozedUntil: Date?
    public let createdAt: Date

    public init(_ conversation: Conversation) {
        id = conversation.id
        status = conversation.status
        widgetId = conversation.widgetID
        visitorId = conversation.visitorID
        teamId = conversation.teamID
        assigneeId = conversation.assigneeID
        assigneeName = conversation.assigneeName
        lastSeq = conversation.lastSeq
        visitorReadSeq = conversation.visitorReadSeq
        agentReadSeq = conversation.agentReadSeq
        unread = conversation.unreadByAgent
        queuedAt = conversation.queuedAt
        assignedAt = conversation.assignedAt
        resolvedAt = conversation.resolvedAt
        lastMessageAt = conversation.lastMessageAt
        csatRating = conversation.csatRating
        snoozedUntil = conversation.snoozedUntil
        createdAt = conversation.createdAt
    }
}

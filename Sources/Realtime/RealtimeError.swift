/// Why a realtime request was refused. `code` is what clients see in an `error` frame (and in
/// `application/problem+json` for the REST routes); it never changes once shipped.
public enum RealtimeError: Error, Sendable, Equatable {
    case conversationNotFound
    case visitorNotFound
    case agentNotFound
    case teamNotFound
    case attachmentNotFound
    /// Only from the widget administration routes (REST); a socket naming no widget is refused
    /// at its upgrade instead.
    case widgetNotFound
    /// Only from the sensitive-word administration routes (REST).
    case wordRuleNotFound
    /// Only from the review queue's routes (REST).
    case wordFlagNotFound
    /// Only from the LLM provider routes (REST).
    case botProviderNotFound
    /// Only from the knowledge routes (REST): no such document or FAQ entry.
    case knowledgeNotFound
    /// Only from the canned-reply routes (REST).
    case cannedReplyNotFound
    case shuttingDown
    /// Too much work queued here to answer within bounds: resend after `retryAfterMilliseconds`.
    case overloaded(retryAfterMilliseconds: Int)
    /// The database did not answer (it restarted, or is out of reach): resend with the same
    /// client id; a send that did commit is then acknowledged as a duplicate, never stored twice.
    case unavailable
    case forbidden(String)
    case invalid(String)
    case conflict(String)
    case tooLarge(String)
    case unsupportedType(String)
    case rateLimited
    /// A sensitive-word rule blocks the message: nothing was stored or delivered. `category` is
    /// the rule's category (never the rule or the word), for the client to explain.
    case contentBlocked(category: String)

    public var code: String {
        switch self {
        case .conversationNotFound: "conversation-not-found"
        case .visitorNotFound: "visitor-not-found"
        case .agentNotFound: "agent-not-found"
        case .teamNotFound: "team-not-found"
        case .attachmentNotFound: "attachment-not-found"
        case .widgetNotFound: "widget-not-found"
        case .wordRuleNotFound, .wordFlagNotFound, .botProviderNotFound, .knowledgeNotFound, .cannedReplyNotFound: "not-found"
        case .shuttingDown: "shutting-down"
        case .overloaded: "overloaded"
        case .unavailable: "unavailable"
        case .forbidden: "forbidden"
        case .invalid: "invalid-frame"
        case .conflict: "conflict"
        case .tooLarge: "too-large"
        case .unsupportedType: "unsupported-media-type"
        case .rateLimited: "rate-limited"
        case .contentBlocked: "content-blocked"
        }
    }

    public var message: String {
        switch self {
        case .conversationNotFound: "No such conversation."
        case .visitorNotFound: "No such visitor."
        case .agentNotFound: "No such agent."
        case .teamNotFound: "No such team."
        case .attachmentNotFound: "No such attachment."
        // Worded as the administration errors' not-found, which widgets answered with before.
        case .widgetNotFound: "no such widget in this tenant"
        case .wordRuleNotFound: "no such rule in this tenant"
        case .wordFlagNotFound: "no such flagged message in this tenant"
        case .botProviderNotFound: "no such LLM provider in this tenant"
        case .knowledgeNotFound: "no such knowledge document or FAQ entry in this tenant"
        case .cannedReplyNotFound: "no such canned reply in this tenant"
        case .shuttingDown: "This server is shutting down; reconnect and resend."
        case .overloaded: "The server is busy; resend shortly."
        case .unavailable: "The database is not answering; resend with the same clientId shortly."
        case .rateLimited: "Too many messages; slow down."
        case .contentBlocked: "The message was not sent: it contains words this service does not allow."
        case .forbidden(let detail), .invalid(let detail), .conflict(let detail), .tooLarge(let detail), .unsupportedType(let detail): detail
        }
    }

    /// The blocking rule's category, for `content-blocked`.
    public var category: String? {
        if case .contentBlocked(let category) = self { return category }
        return nil
    }

    /// How long a client should wait before resending, when the error says.
    public var retryAfterMilliseconds: Int? {
        if case .overloaded(let milliseconds) = self { return milliseconds }
        return nil
    }
}

import Foundation

/// A frame a visitor's socket understands, with the fields its type requires already checked
/// (see the visitor frames in `docs/protocol.md`). A visitor names no conversation: every frame
/// is about their current one.
enum VisitorFrame: Equatable, Sendable {
    case hello(Hello)
    /// Who the visitor is, after the `hello`: what a pre-chat form or `Kefu.identify` learns.
    case profile(identity: FrameFields.Identity?, profile: FrameFields.Profile?)
    /// `text` and `clientId` are judged by `MessageRules`, which words what is wrong with them.
    /// `newConversation` starts a new conversation even where a resolved one could be reopened.
    case send(clientID: String?, text: String?, newConversation: Bool)
    case typing(Bool)
    case read(seq: Int64)
    case history(beforeSeq: Int64?, limit: Int?)
    case rate(rating: Int, comment: String?)
    /// "Talk to a human": the bot hands the conversation over.
    case handoff
    case ping

    struct Hello: Equatable, Sendable {
        var version: Int?
        var token: String?
        var identity: FrameFields.Identity?
        var profile: FrameFields.Profile?
        var page: FrameFields.Page?
        var language: String?
        var lastSeq: Int64?
    }

    init(_ fields: FrameFields) throws(RealtimeError) {
        switch fields.type {
        case "hello":
            self = .hello(Hello(version: fields.v, token: fields.token, identity: fields.identity, profile: fields.profile,
                                page: fields.page, language: fields.language, lastSeq: fields.lastSeq))
        case "profile":
            guard fields.identity != nil || fields.profile != nil else { throw .invalid("\"profile\" needs \"profile\" or \"identity\".") }
            self = .profile(identity: fields.identity, profile: fields.profile)
        case "send": self = .send(clientID: fields.clientId, text: fields.text, newConversation: fields.newConversation == true)
        case "typing": self = .typing(fields.typing ?? true)
        case "read": self = .read(seq: try fields.required(fields.seq, "seq"))
        case "history": self = .history(beforeSeq: fields.beforeSeq, limit: fields.limit)
        case "rate": self = .rate(rating: try fields.required(fields.rating, "rating"), comment: fields.comment)
        case "handoff": self = .handoff
        case "ping": self = .ping
        default: throw fields.unknownType
        }
    }
}

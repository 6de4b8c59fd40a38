import Foundation

/// A frame an agent's socket understands, with the fields its type requires already checked
/// (see the agent frames in `docs/protocol.md`).
enum AgentFrame: Equatable, Sendable {
    case subscribe(conversationID: UUID, afterSeq: Int64?)
    case unsubscribe(conversationID: UUID)
    /// Many conversations at once after a reconnect: each replayed after the seq given.
    case resume([UUID: Int64])
    case history(conversationID: UUID, beforeSeq: Int64?, limit: Int?)
    /// `text` and `clientId` are judged by `MessageRules`, which words what is wrong with them.
    case send(conversationID: UUID, clientID: String?, text: String?, note: Bool)
    case accept(conversationID: UUID)
    case assign(conversationID: UUID, agentID: UUID?, teamID: UUID?)
    case resolve(conversationID: UUID)
    case reopen(conversationID: UUID)
    case status(conversationID: UUID, status: Conversation.Status, until: Date?)
    case presence(PresenceStore.Status)
    /// `note`: typing a private note, which visitors are not told about.
    case typing(conversationID: UUID, typing: Bool, note: Bool)
    case read(conversationID: UUID, seq: Int64)
    case ping

    /// Most `resume` entries one frame may carry.
    static let maximumResumed = 500

    init(_ fields: FrameFields) throws(RealtimeError) {
        func conversationID() throws(RealtimeError) -> UUID { try fields.required(fields.conversationId, "conversationId") }
        switch fields.type {
        case "subscribe": self = .subscribe(conversationID: try conversationID(), afterSeq: fields.afterSeq)
        case "unsubscribe": self = .unsubscribe(conversationID: try conversationID())
        case "resume": self = .resume(try Self.resumed(fields.required(fields.conversations, "conversations")))
        case "history": self = .history(conversationID: try conversationID(), beforeSeq: fields.beforeSeq, limit: fields.limit)
        case "send": self = .send(conversationID: try conversationID(), clientID: fields.clientId, text: fields.text, note: fields.note == true)
        case "accept": self = .accept(conversationID: try conversationID())
        case "assign": self = .assign(conversationID: try conversationID(), agentID: fields.agentId, teamID: fields.teamId)
        case "resolve": self = .resolve(conversationID: try conversationID())
        case "reopen": self = .reopen(conversationID: try conversationID())
        case "status":
            let id = try conversationID()
            guard let status = fields.status.flatMap(Conversation.Status.init(rawValue:)) else {
                throw .invalid("\"status\" needs \"status\": one of \(Conversation.Status.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")).")
            }
            self = .status(conversationID: id, status: status, until: fields.until)
        case "presence":
            guard let status = fields.status.flatMap(PresenceStore.Status.init(rawValue:)) else {
                throw .invalid("\"status\" must be \"online\", \"away\" or \"offline\".")
            }
            self = .presence(status)
        case "typing": self = .typing(conversationID: try conversationID(), typing: fields.typing ?? true, note: fields.note == true)
        case "read": self = .read(conversationID: try conversationID(), seq: try fields.required(fields.seq, "seq"))
        case "ping": self = .ping
        default: throw fields.unknownType
        }
    }

    private static func resumed(_ entries: [String: Int64]) throws(RealtimeError) -> [UUID: Int64] {
        guard entries.count <= maximumResumed else { throw .tooLarge("\"conversations\" has more than \(maximumResumed) entries.") }
        var resumed: [UUID: Int64] = [:]
        for (key, seq) in entries {
            guard let id = UUID(uuidString: key) else { throw .invalid("\"conversations\" keys are conversation ids; \"\(key.prefix(40))\" is not one.") }
            guard seq >= 0 else { throw .invalid("\"conversations\" values are seqs, 0 or more.") }
            resumed[id] = seq
        }
        return resumed
    }
}

import Foundation
import Tenancy

/// One notification on PostgreSQL channel `kefu`: what a node committed or relayed, ids only, so
/// every node can deliver to its own sockets from the table. The one encoder (`payload`) and the
/// one decoder (`init?(payload:)`) of that text.
///
/// The format is shared with SQL (`kefu_append_messages` writes `m` payloads, latest definition in
/// `Migrations/0009_seq_from_messages.sql`) and with nodes of other versions during a rolling
/// upgrade, so it never changes:
///
///     m<node>;<tenant> <conversation> <last seq>;…   messages committed up to a seq
///     e<node>;<tenant> <conversation>                 a conversation changed
///     t<node>;<tenant> <conversation> <sender type> <sender id or -> <typing 1|0> <to visitors 1|0>
///     r<node>;<tenant> <conversation> <side> <seq>     a read position moved
///     w<node>;<tenant>                                a tenant's sensitive-word rules changed
///     s<node>;<tenant> <conversation> <stream id> <offset> <text, base64>   a piece of a bot answer
///     x<node>;<tenant> <conversation> <stream id> <reason>                  that answer is withdrawn
///     n<node>;                                        a node is listening (at start, every 10 s)
///
/// `s` and `x` carry a bot answer to the nodes that did not write it (one at a time per answer, in
/// order; the stored answer's `m` follows them). A stream id and a reason hold no space or `;`.
/// They are sent only while another node has said `n` lately: a lone node relays nothing.
///
/// `w` is written by a trigger on `word_rules` (`Migrations/0015_word_flags.sql`), with node `-`
/// when the change came from outside any node. Nodes of earlier versions ignore kinds they do
/// not know.
///
/// UUIDs are lower case, as PostgreSQL prints them; a node id holds neither `;` nor a space. Only
/// `m` carries several entries (SQL splits them into payloads of about 7,000 bytes, under
/// PostgreSQL's 8,000). The decoder skips malformed entries, so a payload it cannot fully read
/// still delivers what it can.
enum FanoutEvent: Equatable, Sendable {
    /// The PostgreSQL channel every node listens on and announces to.
    static let channel = "kefu"

    /// A conversation's messages are committed up to `lastSeq`.
    struct Position: Equatable, Sendable {
        var tenantID: UUID
        var conversationID: UUID
        var lastSeq: Int64
    }

    /// `m`: messages committed (written by `kefu_append_messages` at commit).
    case messagesCommitted(node: String, positions: [Position])
    /// `e`: a conversation changed (status, assignee, team…): reload it.
    case conversationChanged(node: String, tenantID: UUID, conversationID: UUID)
    /// `t`: someone started or stopped typing; `toVisitors` is false for agents' private notes.
    case typing(node: String, tenantID: UUID, conversationID: UUID, senderType: Message.SenderType, senderID: UUID?,
                typing: Bool, toVisitors: Bool)
    /// `r`: one side's read position moved to `seq`.
    case read(node: String, tenantID: UUID, conversationID: UUID, side: Message.SenderType, seq: Int64)
    /// `w`: a tenant's sensitive-word rules changed: rebuild its matcher.
    case wordsChanged(node: String, tenantID: UUID)
    /// `s`: a piece of a bot answer as shown on the node writing it, from scalar `offset`.
    case botDelta(node: String, tenantID: UUID, conversationID: UUID, streamID: String, offset: Int, delta: String)
    /// `x`: what was shown of that answer is withdrawn.
    case botWithdrawn(node: String, tenantID: UUID, conversationID: UUID, streamID: String, reason: String)
    /// `n`: the node is listening (said at start and every 10 s, and in answer to a node it had
    /// not heard of), so the others know whether anyone would hear a relay.
    case nodeAlive(node: String)

    /// The node that announced this event.
    var node: String {
        switch self {
        case .messagesCommitted(let node, _), .conversationChanged(let node, _, _), .typing(let node, _, _, _, _, _, _),
             .read(let node, _, _, _, _), .wordsChanged(let node, _), .botDelta(let node, _, _, _, _, _),
             .botWithdrawn(let node, _, _, _, _), .nodeAlive(let node):
            node
        }
    }

    /// Whether `payload` was announced by `node`, without parsing it: a listener drops its own
    /// node's announcements (PostgreSQL sends them back too) at the cost of a prefix compare.
    static func payload(_ payload: String, isFrom node: String) -> Bool {
        let afterKind = payload.utf8.dropFirst()
        return afterKind.starts(with: node.utf8) && afterKind.dropFirst(node.utf8.count).first == UInt8(ascii: ";")
    }

    /// The payload text for `pg_notify` (byte for byte what every version writes and reads).
    var payload: String {
        switch self {
        case .messagesCommitted(let node, let positions):
            "m\(node);" + positions.map { "\($0.tenantID.lowercased) \($0.conversationID.lowercased) \($0.lastSeq)" }.joined(separator: ";")
        case .conversationChanged(let node, let tenantID, let conversationID):
            "e\(node);\(tenantID.lowercased) \(conversationID.lowercased)"
        case .typing(let node, let tenantID, let conversationID, let senderType, let senderID, let typing, let toVisitors):
            "t\(node);\(tenantID.lowercased) \(conversationID.lowercased) \(senderType.rawValue) \(senderID?.lowercased ?? "-") "
                + "\(typing ? 1 : 0) \(toVisitors ? 1 : 0)"
        case .read(let node, let tenantID, let conversationID, let side, let seq):
            "r\(node);\(tenantID.lowercased) \(conversationID.lowercased) \(side.rawValue) \(seq)"
        case .wordsChanged(let node, let tenantID):
            "w\(node);\(tenantID.lowercased)"
        case .botDelta(let node, let tenantID, let conversationID, let streamID, let offset, let delta):
            "s\(node);\(tenantID.lowercased) \(conversationID.lowercased) \(streamID) \(offset) \(Data(delta.utf8).base64EncodedString())"
        case .botWithdrawn(let node, let tenantID, let conversationID, let streamID, let reason):
            "x\(node);\(tenantID.lowercased) \(conversationID.lowercased) \(streamID) \(reason)"
        case .nodeAlive(let node):
            "n\(node);"
        }
    }

    /// Reads a payload; nil when it has no node, an unknown kind, or no well-formed entry.
    /// Malformed entries are skipped; `e`, `t`, `r`, `s` and `x` act on their first well-formed entry
    /// (every writer sends exactly one).
    init?(payload: String) {
        guard let kind = payload.first else { return nil }
        var parts = payload.dropFirst().split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        let node = String(parts.removeFirst())
        let entries = parts.lazy.filter { !$0.isEmpty }.map { $0.split(separator: " ") }
        switch kind {
        case "m":
            let positions = entries.compactMap { fields -> Position? in
                guard fields.count == 3, let ids = Self.ids(fields), let seq = Int64(fields[2]) else { return nil }
                return Position(tenantID: ids.tenantID, conversationID: ids.conversationID, lastSeq: seq)
            }
            guard !positions.isEmpty else { return nil }
            self = .messagesCommitted(node: node, positions: Array(positions))
        case "e":
            guard let ids = entries.lazy.compactMap({ Self.ids($0) }).first else { return nil }
            self = .conversationChanged(node: node, tenantID: ids.tenantID, conversationID: ids.conversationID)
        case "t":
            let event = entries.compactMap { fields -> FanoutEvent? in
                guard fields.count == 6, let ids = Self.ids(fields), let senderType = Message.SenderType(rawValue: String(fields[2])) else {
                    return nil
                }
                return .typing(node: node, tenantID: ids.tenantID, conversationID: ids.conversationID, senderType: senderType,
                               senderID: UUID(uuidString: String(fields[3])), typing: fields[4] == "1", toVisitors: fields[5] == "1")
            }.first
            guard let event else { return nil }
            self = event
        case "r":
            let event = entries.compactMap { fields -> FanoutEvent? in
                guard fields.count == 4, let ids = Self.ids(fields), let side = Message.SenderType(rawValue: String(fields[2])),
                      let seq = Int64(fields[3]) else { return nil }
                return .read(node: node, tenantID: ids.tenantID, conversationID: ids.conversationID, side: side, seq: seq)
            }.first
            guard let event else { return nil }
            self = event
        case "w":
            guard let tenantID = entries.lazy.compactMap({ $0.count == 1 ? UUID(uuidString: String($0[0])) : nil }).first else { return nil }
            self = .wordsChanged(node: node, tenantID: tenantID)
        case "s":
            let event = entries.compactMap { fields -> FanoutEvent? in
                guard fields.count == 5, let ids = Self.ids(fields), let offset = Int(fields[3]), offset >= 0,
                      let text = Data(base64Encoded: String(fields[4])) else { return nil }
                return .botDelta(node: node, tenantID: ids.tenantID, conversationID: ids.conversationID, streamID: String(fields[2]),
                                 offset: offset, delta: String(decoding: text, as: UTF8.self))
            }.first
            guard let event else { return nil }
            self = event
        case "x":
            let event = entries.compactMap { fields -> FanoutEvent? in
                guard fields.count == 4, let ids = Self.ids(fields) else { return nil }
                return .botWithdrawn(node: node, tenantID: ids.tenantID, conversationID: ids.conversationID, streamID: String(fields[2]),
                                     reason: String(fields[3]))
            }.first
            guard let event else { return nil }
            self = event
        case "n":
            guard !node.isEmpty, !node.contains(" ") else { return nil }
            self = .nodeAlive(node: node)
        default:
            return nil
        }
    }

    /// The tenant and conversation every entry starts with.
    private static func ids(_ fields: [Substring]) -> (tenantID: UUID, conversationID: UUID)? {
        guard fields.count >= 2, let tenantID = UUID(uuidString: String(fields[0])),
              let conversationID = UUID(uuidString: String(fields[1])) else { return nil }
        return (tenantID, conversationID)
    }
}

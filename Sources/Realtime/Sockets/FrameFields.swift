import Foundation

/// A frame from a visitor or an agent as it arrives: a JSON object with a `type`, read against
/// every field any frame knows. Reading all of them, whatever the type, keeps the protocol's
/// rule that a known field of the wrong type makes any frame `invalid-frame`; unknown fields
/// are ignored, so old servers accept newer clients. Sessions never dispatch on these fields:
/// they turn them into their own typed frames (`VisitorFrame`, `AgentFrame`) first.
struct FrameFields: Decodable, Sendable, Equatable {
    var type: String
    /// Echoed in the reply, so a client can match replies to requests.
    var ref: String?
    var v: Int?
    var token: String?
    var identity: Identity?
    var profile: Profile?
    var page: Page?
    var language: String?
    var lastSeq: Int64?
    var conversationId: UUID?
    var clientId: String?
    var text: String?
    var note: Bool?
    var attachmentId: UUID?
    var typing: Bool?
    var seq: Int64?
    var beforeSeq: Int64?
    var afterSeq: Int64?
    var limit: Int?
    var status: String?
    var agentId: UUID?
    var teamId: UUID?
    var rating: Int?
    var comment: String?
    var until: Date?
    var newConversation: Bool?
    /// `resume`: conversation id → the last seq the client holds.
    var conversations: [String: Int64]?

    struct Identity: Decodable, Sendable, Equatable {
        var userId: String
        var hash: String
    }

    struct Profile: Decodable, Sendable, Equatable {
        var name: String?
        var email: String?
        var phone: String?
        var attributes: [String: AttributeValue]?
    }

    struct Page: Decodable, Sendable, Equatable {
        var url: String?
        var referrer: String?
    }

    /// One decoder for every frame: making one per frame costs more than the decoding.
    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// The frame in `text`; or, when it is not a valid frame, why, with the frame's `ref` when
    /// that much can be read, so the client can fail the request it belongs to at once.
    static func decode(_ text: String) throws(UnreadableFrame) -> FrameFields {
        let fields = FlatFrameParser.parse(text)
        if let fields, let frame = FrameFields(flat: fields) { return frame }
        do {
            return try decodeGenerally(text)
        } catch {
            // A flat object has been read already; anything else is read again for its ref alone.
            let ref = if let fields { Self.ref(in: fields) } else { readableRef(text) }
            throw UnreadableFrame(ref: ref, problem: error)
        }
    }

    /// The `ref` of a frame that may be invalid in any other way: nil unless `text` is a JSON
    /// object whose `ref` is a string.
    static func readableRef(_ text: String) -> String? {
        if let fields = FlatFrameParser.parse(text) { return ref(in: fields) }
        return (try? decoder.decode(RefOnly.self, from: Data(text.utf8)))?.ref
    }

    private static func ref(in fields: [String: FlatFrameParser.Value]) -> String? {
        if case .string(let ref)? = fields["ref"] { ref } else { nil }
    }

    /// Reads `ref` and nothing else; a `ref` of another type reads as none.
    private struct RefOnly: Decodable {
        var ref: String?

        enum Key: String, CodingKey { case ref }

        init(from decoder: any Decoder) throws {
            ref = try? decoder.container(keyedBy: Key.self).decodeIfPresent(String.self, forKey: .ref)
        }
    }

    /// Any frame, with the error wording for those that are not valid.
    static func decodeGenerally(_ text: String) throws(RealtimeError) -> FrameFields {
        do {
            return try decoder.decode(FrameFields.self, from: Data(text.utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .invalid("The frame lacks \"\(key.stringValue)\".")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .invalid("\"\(path)\" has the wrong type.")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .invalid("\"\(path)\" is not valid.")
        } catch {
            throw .invalid("A frame must be a JSON object with a \"type\".")
        }
    }

    /// The frame from a flat object's fields, or nil when a field needs the general decoder
    /// (nested, a date, or of the wrong kind, which the decoder then reports).
    init?(flat fields: [String: FlatFrameParser.Value]) {
        guard case .string(let type)? = fields["type"] else { return nil }
        self.type = type
        for (key, value) in fields where key != "type" {
            switch value {
            case .null:
                continue
            case .string(let text) where Self.textFields[key] != nil:
                self[keyPath: Self.textFields[key]!] = text
            case .string(let text) where Self.idFields[key] != nil:
                guard let id = UUID(uuidString: text) else { return nil }
                self[keyPath: Self.idFields[key]!] = id
            case .integer(let number) where Self.seqFields[key] != nil:
                self[keyPath: Self.seqFields[key]!] = number
            case .integer(let number) where Self.countFields[key] != nil:
                self[keyPath: Self.countFields[key]!] = Int(number)
            case .bool(let flag) where Self.flagFields[key] != nil:
                self[keyPath: Self.flagFields[key]!] = flag
            default:
                // A known field of another kind (or a nested one) is the decoder's to judge;
                // unknown fields are ignored, as by the decoder.
                if Self.generalFields.contains(key) || Self.flatFields.contains(key) { return nil }
            }
        }
    }

    private static let textFields: [String: any WritableKeyPath<FrameFields, String?> & Sendable] = [
        "ref": \.ref, "token": \.token, "language": \.language, "clientId": \.clientId, "text": \.text, "status": \.status,
        "comment": \.comment,
    ]
    private static let idFields: [String: any WritableKeyPath<FrameFields, UUID?> & Sendable] = [
        "conversationId": \.conversationId, "attachmentId": \.attachmentId, "agentId": \.agentId, "teamId": \.teamId,
    ]
    private static let seqFields: [String: any WritableKeyPath<FrameFields, Int64?> & Sendable] = [
        "lastSeq": \.lastSeq, "seq": \.seq, "beforeSeq": \.beforeSeq, "afterSeq": \.afterSeq,
    ]
    private static let countFields: [String: any WritableKeyPath<FrameFields, Int?> & Sendable] = ["v": \.v, "limit": \.limit, "rating": \.rating]
    private static let flagFields: [String: any WritableKeyPath<FrameFields, Bool?> & Sendable] = [
        "note": \.note, "typing": \.typing, "newConversation": \.newConversation,
    ]
    private static let flatFields = Set(textFields.keys).union(idFields.keys).union(seqFields.keys).union(countFields.keys)
        .union(flagFields.keys)
    /// Fields only the general decoder reads.
    private static let generalFields: Set = ["identity", "profile", "page", "until", "conversations"]

    func required<Value>(_ value: Value?, _ name: String) throws(RealtimeError) -> Value {
        guard let value else { throw .invalid("\"\(type)\" needs \"\(name)\".") }
        return value
    }

    /// The frame's `type` is not one this socket speaks.
    var unknownType: RealtimeError { .invalid("Unknown frame type \"\(type.prefix(40))\".") }
}

/// A frame that is not valid: why (always `invalid-frame`), and its `ref` when it could be read.
struct UnreadableFrame: Error, Equatable {
    var ref: String?
    var problem: RealtimeError
}

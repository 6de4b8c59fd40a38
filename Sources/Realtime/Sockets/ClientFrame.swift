import Foundation

/// A frame from a visitor or an agent: JSON with a `type`; the other fields depend on it (see
/// `docs/protocol.md`). Unknown fields are ignored, so old servers accept newer clients.
struct ClientFrame: Decodable, Sendable, Equatable {
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

    static func decode(_ text: String) throws(RealtimeError) -> ClientFrame {
        if let fields = FlatFrameParser.parse(text), let frame = ClientFrame(flat: fields) { return frame }
        return try decodeGenerally(text)
    }

    /// Any frame, with the error wording for those that are not valid.
    static func decodeGenerally(_ text: String) throws(RealtimeError) -> ClientFrame {
        do {
            return try decoder.decode(ClientFrame.self, from: Data(text.utf8))
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
        for (key, value) in fields where value != .null {
            switch (key, value) {
            case ("type", _): continue
            case ("ref", .string(let text)): ref = text
            case ("token", .string(let text)): token = text
            case ("language", .string(let text)): language = text
            case ("clientId", .string(let text)): clientId = text
            case ("text", .string(let text)): self.text = text
            case ("status", .string(let text)): status = text
            case ("comment", .string(let text)): comment = text
            case ("v", .integer(let number)): v = Int(number)
            case ("limit", .integer(let number)): limit = Int(number)
            case ("rating", .integer(let number)): rating = Int(number)
            case ("lastSeq", .integer(let number)): lastSeq = number
            case ("seq", .integer(let number)): seq = number
            case ("beforeSeq", .integer(let number)): beforeSeq = number
            case ("afterSeq", .integer(let number)): afterSeq = number
            case ("note", .bool(let flag)): note = flag
            case ("typing", .bool(let flag)): typing = flag
            case ("conversationId", .string(let text)):
                guard let id = UUID(uuidString: text) else { return nil }
                conversationId = id
            case ("attachmentId", .string(let text)):
                guard let id = UUID(uuidString: text) else { return nil }
                attachmentId = id
            case ("agentId", .string(let text)):
                guard let id = UUID(uuidString: text) else { return nil }
                agentId = id
            case ("teamId", .string(let text)):
                guard let id = UUID(uuidString: text) else { return nil }
                teamId = id
            case ("identity", _), ("profile", _), ("page", _), ("until", _):
                return nil
            case ("ref", _), ("token", _), ("language", _), ("clientId", _), ("text", _), ("status", _), ("comment", _),
                 ("v", _), ("limit", _), ("rating", _), ("lastSeq", _), ("seq", _), ("beforeSeq", _), ("afterSeq", _),
                 ("note", _), ("typing", _), ("conversationId", _), ("attachmentId", _), ("agentId", _), ("teamId", _):
                return nil
            default:
                continue  // unknown fields are ignored, as by the decoder
            }
        }
    }

    func required<Value>(_ value: Value?, _ name: String) throws(RealtimeError) -> Value {
        guard let value else { throw .invalid("\"\(type)\" needs \"\(name)\".") }
        return value
    }
}

/// A custom attribute a site sets on its visitor: a string, number or boolean.
public enum AttributeValue: Codable, Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }
}

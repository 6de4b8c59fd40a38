import Auth
import Foundation
import Hummingbird
import Realtime
import Tenancy

/// `/api/v1/words/flags`: the review queue of messages a `flag` rule matched (`words.manage`),
/// filtered and paged oldest first, each entry reviewed once.
public struct WordFlagsController: Sendable {
    let flags: WordFlagStore
    let maxBodyBytes: Int

    public init(flags: WordFlagStore, maxBodyBytes: Int) {
        self.flags = flags
        self.maxBodyBytes = maxBodyBytes
    }

    struct FlagView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let conversationId: UUID
        let seq: Int64
        let messageId: UUID
        let senderType: String
        let senderId: UUID?
        let text: String
        let ruleIds: [UUID]
        let categories: [String]
        let createdAt: Date
        let status: FlaggedMessage.Status
        let reviewedBy: UUID?
        let reviewedAt: Date?
        let note: String?

        init(_ flag: FlaggedMessage) {
            id = flag.id
            conversationId = flag.conversationID
            seq = flag.seq
            messageId = flag.messageID
            senderType = flag.senderType.rawValue
            senderId = flag.senderID
            text = flag.text
            ruleIds = flag.ruleIDs
            categories = flag.categories
            createdAt = flag.createdAt
            status = flag.status
            reviewedBy = flag.reviewedBy
            reviewedAt = flag.reviewedAt
            note = flag.note
        }
    }

    struct ReviewRequest: APIRequestBody {
        let outcome: FlaggedMessage.Status
        let note: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case outcome, note }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "words/flags", access: .permission(.wordsManage), use: list)
        group.on(.get, "words/flags/{id}", access: .permission(.wordsManage), use: get)
        group.on(.post, "words/flags/{id}/review", access: .permission(.wordsManage), use: review)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<FlagView> {
        let principal = try context.requirePrincipal()
        var errors: [APIError.FieldError] = []
        let page = request.pageRequest(collecting: &errors)
        let parameters = request.uri.queryParameters
        var filter = WordFlagStore.Filter()
        switch parameters["status"].map(String.init) {
        case nil: break
        case "all": filter.status = nil
        case let value?:
            if let status = FlaggedMessage.Status(rawValue: value) { filter.status = status } else {
                errors.append(.init(field: "status", message: "expected open, dismissed, confirmed or all"))
            }
        }
        if let value = parameters["sender"].map(String.init) {
            if let sender = Message.SenderType(rawValue: value), sender != .system { filter.senderType = sender } else {
                errors.append(.init(field: "sender", message: "expected visitor, agent or bot"))
            }
        }
        if let value = parameters["conversationId"].map(String.init) {
            if let id = UUID(uuidString: value) { filter.conversationID = id } else {
                errors.append(.init(field: "conversationId", message: "expected a UUID"))
            }
        }
        filter.category = request.formParameter("category").flatMap { $0.isEmpty ? nil : $0 }
        if !errors.isEmpty { throw APIError.validation(errors) }
        return PageView(try await flags.list(page: page, filter: filter, tenantID: principal.tenantID), FlagView.init)
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> FlagView {
        let principal = try context.requirePrincipal()
        return FlagView(try await flags.get(try context.id(), tenantID: principal.tenantID))
    }

    @Sendable func review(request: Request, context: KefuRequestContext) async throws -> FlagView {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(ReviewRequest.self, limit: maxBodyBytes)
        return FlagView(try await flags.review(try context.id(), outcome: body.outcome, note: body.note, by: principal,
                                               origin: context.origin(request)))
    }

    static let flagSchema: JSONValue = [
        "type": "object",
        "required": ["id", "conversationId", "seq", "messageId", "senderType", "text", "ruleIds", "categories", "createdAt", "status"],
        "properties": [
            "id": ["type": "string", "format": "uuid"],
            "conversationId": ["type": "string", "format": "uuid"],
            "seq": ["type": "integer", "description": "The message's seq in its conversation"],
            "messageId": ["type": "string", "format": "uuid"],
            "senderType": ["type": "string", "enum": ["visitor", "agent", "bot"]],
            "senderId": ["type": "string", "format": "uuid"],
            "text": ["type": "string", "description": "The message as stored (flagging never changes it)"],
            "ruleIds": ["type": "array", "items": ["type": "string", "format": "uuid"], "description": "The flag rules that matched"],
            "categories": ["type": "array", "items": ["type": "string"]],
            "createdAt": ["type": "string", "format": "date-time"],
            "status": ["type": "string", "enum": ["open", "dismissed", "confirmed"]],
            "reviewedBy": ["type": "string", "format": "uuid"],
            "reviewedAt": ["type": "string", "format": "date-time"],
            "note": ["type": "string"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/words/flags": [
            "get": OpenAPIDocument.operation(
                "listWordFlags", "Messages a flag rule matched, oldest first; open ones unless status says otherwise",
                tag: "words", access: .permission(.wordsManage),
                parameters: OpenAPIDocument.pageParameters + [
                    ["name": "status", "in": "query", "schema": ["type": "string", "enum": ["open", "dismissed", "confirmed", "all"], "default": "open"]],
                    ["name": "category", "in": "query", "schema": ["type": "string"]],
                    ["name": "sender", "in": "query", "schema": ["type": "string", "enum": ["visitor", "agent", "bot"]]],
                    ["name": "conversationId", "in": "query", "schema": ["type": "string", "format": "uuid"]],
                ],
                responses: ["200": OpenAPIDocument.json("A page of flagged messages", PageView<FlagView>.schema(flagSchema)),
                            "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/words/flags/{id}": [
            "get": OpenAPIDocument.operation(
                "getWordFlag", "One flagged message", tag: "words", access: .permission(.wordsManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The flagged message", flagSchema), "404": OpenAPIDocument.problem]),
        ],
        "/api/v1/words/flags/{id}/review": [
            "post": OpenAPIDocument.operation(
                "reviewWordFlag", "Review a flagged message once: dismissed (fine) or confirmed (a violation), with an optional note; audited",
                tag: "words", access: .permission(.wordsManage), parameters: [OpenAPIDocument.idParameter],
                body: ["type": "object", "additionalProperties": false, "required": ["outcome"], "properties": [
                    "outcome": ["type": "string", "enum": ["dismissed", "confirmed"]],
                    "note": ["type": "string", "maxLength": 1000],
                ]],
                responses: ["200": OpenAPIDocument.json("The reviewed entry", flagSchema), "404": OpenAPIDocument.problem,
                            "409": OpenAPIDocument.problem, "422": OpenAPIDocument.problem]),
        ],
    ]
}

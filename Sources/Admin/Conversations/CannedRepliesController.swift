import Foundation
import Hummingbird
import Realtime
import Tenancy

/// `/api/v1/canned-replies`: shortcuts agents type after "/" in the composer. Read by anyone who
/// replies (`conversations.reply`: the tenant's and their teams' replies), edited with `canned.manage`.
public struct CannedRepliesController: Sendable {
    let replies: CannedReplyStore
    let maxBodyBytes: Int

    public init(replies: CannedReplyStore, maxBodyBytes: Int) {
        self.replies = replies
        self.maxBodyBytes = maxBodyBytes
    }

    struct ReplyView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let shortcut: String
        let body: String
        let teamId: UUID?

        init(_ reply: CannedReply) {
            id = reply.id
            shortcut = reply.shortcut
            body = reply.body
            teamId = reply.teamID
        }
    }

    /// On change an explicit `teamId: null` makes the reply the whole tenant's.
    struct FieldsRequest: APIRequestBody {
        var shortcut: String?
        var body: String?
        var teamID: UUID??

        enum CodingKeys: String, CodingKey, CaseIterable { case shortcut, body, teamId }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            shortcut = try container.decodeIfPresent(String.self, forKey: .shortcut)
            body = try container.decodeIfPresent(String.self, forKey: .body)
            if container.contains(.teamId) { teamID = .some(try container.decodeIfPresent(UUID.self, forKey: .teamId)) }
        }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "canned-replies", access: .permission(.conversationsReply), use: list)
        group.on(.post, "canned-replies", access: .permission(.cannedManage), use: create)
        group.on(.patch, "canned-replies/{id}", access: .permission(.cannedManage), use: update)
        group.on(.delete, "canned-replies/{id}", access: .permission(.cannedManage), use: delete)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<ReplyView> {
        let principal = try context.requirePrincipal()
        let search = request.formParameter("q").flatMap { $0.isEmpty ? nil : $0 }
        return PageView(try await replies.list(page: try request.pageRequest(), search: search, for: principal), ReplyView.init)
    }

    @Sendable func create(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(FieldsRequest.self, limit: maxBodyBytes)
        let reply = try await replies.create(shortcut: body.shortcut, body: body.body, teamID: body.teamID ?? nil, by: principal,
                                             origin: context.origin(request))
        var response = try ReplyView(reply).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/canned-replies/\(reply.id.lowercased)"
        return response
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> ReplyView {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(FieldsRequest.self, limit: maxBodyBytes)
        return ReplyView(try await replies.update(try context.id(), shortcut: body.shortcut, body: body.body, teamID: body.teamID, by: principal,
                                                  origin: context.origin(request)))
    }

    @Sendable func delete(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await replies.delete(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    static let replySchema: JSONValue = [
        "type": "object", "required": ["id", "shortcut", "body"],
        "properties": [
            "id": ["type": "string", "format": "uuid"],
            "shortcut": ["type": "string", "maxLength": 32, "description": "Typed after / in the composer; no spaces or slashes; unique per team (or tenant)"],
            "body": ["type": "string", "maxLength": 5000, "description": "May hold {{visitor.name}}, {{visitor.email}}, {{visitor.phone}} and {{agent.name}}, filled in when inserted"],
            "teamId": ["type": ["string", "null"], "format": "uuid", "description": "null: for the whole tenant"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/canned-replies": [
            "get": OpenAPIDocument.operation(
                "listCannedReplies", "Canned replies the caller may use (the tenant's and their teams'; all with canned.manage); q narrows by shortcut or text",
                tag: "conversations", access: .permission(.conversationsReply),
                parameters: OpenAPIDocument.pageParameters + [["name": "q", "in": "query", "schema": ["type": "string"]]],
                responses: ["200": OpenAPIDocument.json("A page of canned replies", PageView<ReplyView>.schema(replySchema)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createCannedReply", "Add a canned reply", tag: "conversations", access: .permission(.cannedManage),
                body: ["type": "object", "additionalProperties": false, "required": ["shortcut", "body"], "properties": [
                    "shortcut": ["type": "string"], "body": ["type": "string"], "teamId": ["type": ["string", "null"], "format": "uuid"],
                ]],
                responses: ["201": OpenAPIDocument.json("Created", replySchema), "409": OpenAPIDocument.problem, "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/canned-replies/{id}": [
            "patch": OpenAPIDocument.operation(
                "updateCannedReply", "Change a canned reply", tag: "conversations", access: .permission(.cannedManage), parameters: [OpenAPIDocument.idParameter],
                body: ["type": "object", "additionalProperties": false, "properties": [
                    "shortcut": ["type": "string"], "body": ["type": "string"], "teamId": ["type": ["string", "null"], "format": "uuid"],
                ]],
                responses: ["200": OpenAPIDocument.json("The changed reply", replySchema), "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem,
                            "422": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteCannedReply", "Delete a canned reply", tag: "conversations", access: .permission(.cannedManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem]),
        ],
    ]
}

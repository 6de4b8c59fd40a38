import Auth
import Foundation
import Hummingbird
import Realtime

/// `/api/v1/visitors`: who has chatted, and their profiles (`conversations.read`; an agent
/// without it sees the visitors of their own conversations).
public struct VisitorsController: Sendable {
    let visitors: VisitorQueries

    public init(visitors: VisitorQueries) {
        self.visitors = visitors
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "visitors", access: .permission(.conversationsRead), use: list)
        group.on(.get, "visitors/{id}", access: .signedIn, use: get)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<Visitor> {
        let principal = try context.requirePrincipal()
        var errors: [APIError.FieldError] = []
        let page = request.pageRequest(collecting: &errors)
        let parameters = request.uri.queryParameters
        var widgetID: UUID?
        if let text = parameters["widgetId"] {
            widgetID = UUID(uuidString: String(text))
            if widgetID == nil { errors.append(.init(field: "widgetId", message: "expected a UUID")) }
        }
        let text = request.formParameter("q")
        if let text, !(1...200).contains(text.count) { errors.append(.init(field: "q", message: "expected 1 to 200 characters")) }
        if !errors.isEmpty { throw APIError.validation(errors) }
        return PageView(try await visitors.list(widgetID: widgetID, text: text, page: page, tenantID: principal.tenantID)) { $0 }
    }

    /// Without `conversations.read`, only a visitor one of the caller's conversations is with
    /// (the workspace's visitor panel); any other is 404, as if it did not exist.
    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> Visitor {
        let principal = try context.requirePrincipal()
        return try await visitors.get(try context.id(), tenantID: principal.tenantID,
                                      assignedTo: principal.has(.conversationsRead) ? nil : principal.userID)
    }

    static let visitorSchema: JSONValue = [
        "type": "object",
        "required": ["id", "widgetId", "name", "email", "phone", "attributes", "pageUrl", "referrer", "userAgent", "language", "createdAt", "lastSeenAt"],
        "properties": [
            "id": ["type": "string", "format": "uuid"], "widgetId": ["type": "string", "format": "uuid"],
            "externalId": ["type": "string", "description": "The site's user id, from a verified identity"],
            "name": ["type": "string"], "email": ["type": "string"], "phone": ["type": "string"],
            "attributes": ["type": "object", "additionalProperties": ["type": ["string", "number", "boolean"]]],
            "pageUrl": ["type": "string"], "referrer": ["type": "string"], "userAgent": ["type": "string"], "language": ["type": "string"],
            "createdAt": ["type": "string", "format": "date-time"], "lastSeenAt": ["type": "string", "format": "date-time"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/visitors": [
            "get": OpenAPIDocument.operation(
                "listVisitors", "Visitors in creation order", tag: "visitors", access: .permission(.conversationsRead),
                parameters: OpenAPIDocument.pageParameters + [
                    ["name": "widgetId", "in": "query", "schema": ["type": "string", "format": "uuid"]],
                    ["name": "q", "in": "query", "description": "Text in the name, email or external id", "schema": ["type": "string", "maxLength": 200]],
                ],
                responses: ["200": OpenAPIDocument.json("A page of visitors", PageView<Visitor>.schema(visitorSchema)), "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/visitors/{id}": [
            "get": OpenAPIDocument.operation(
                "getVisitor", "One visitor's profile. Without conversations.read: only a visitor of one of the caller's conversations (any other is 404)",
                tag: "visitors", access: .signedIn,
                parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The visitor", visitorSchema), "404": OpenAPIDocument.problem]),
        ],
    ]
}

extension Visitor: ResponseEncodable {}

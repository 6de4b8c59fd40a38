import Foundation
import HTTPTypes
import Hummingbird
import Realtime

/// `GET /api/v1/widget/config?key=kfw_…`: a widget's public face for the launcher script on any
/// site, before it opens a socket. Public and readable from every origin: it holds nothing a
/// page embedding the key could not learn from the socket's `welcome`.
public struct WidgetConfigController: Sendable {
    let front: WidgetFront

    public init(front: WidgetFront) {
        self.front = front
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "widget/config", access: .everyone, use: config)
    }

    @Sendable func config(request: Request, context: KefuRequestContext) async throws -> Response {
        guard let key = request.uri.queryParameters["key"].map(String.init), !key.isEmpty else {
            throw APIError.validation(field: "key", "give the widget's public key")
        }
        guard let config = try await front.config(publicKey: key) else {
            throw APIError(.notFound, code: "widget-not-found", title: "No such widget", detail: "No widget has this public key.")
        }
        var response = try ConfigView(config).response(from: request, context: context)
        response.headers[.accessControlAllowOrigin] = "*"
        // Short: presence changes, and the launcher reads it on every page load.
        response.headers[.cacheControl] = "public, max-age=15"
        return response
    }

    struct ConfigView: ResponseEncodable {
        let config: WidgetFront.Config
        init(_ config: WidgetFront.Config) { self.config = config }
        func encode(to encoder: any Encoder) throws { try config.encode(to: encoder) }
    }

    static let configSchema: JSONValue = [
        "type": "object",
        "required": ["name", "greeting", "themeColor", "position", "online", "agentsOnline", "offlineBehavior", "preChatFields", "maxUploadBytes", "bot"],
        "properties": [
            "name": ["type": "string"], "greeting": ["type": "string"], "themeColor": ["type": "string", "pattern": "^#[0-9a-fA-F]{6}$"],
            "position": ["type": "string", "enum": ["right", "left"]],
            "online": ["type": "boolean", "description": "false outside the widget's business hours"],
            "agentsOnline": ["type": "boolean", "description": "an agent who could take the conversation is online"],
            "offlineBehavior": ["type": "string", "enum": ["leave_message", "hide"]],
            "preChatFields": WidgetsController.fieldsSchema,
            "maxUploadBytes": ["type": "integer", "description": "the largest file a visitor may upload"],
            "bot": ["type": "boolean", "description": "new conversations start with the bot now: no offline form, and \"talk to a human\" is offered"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/widget/config": [
            "get": OpenAPIDocument.operation(
                "getWidgetConfig", "A widget's public face, for the launcher (any origin may read it)", tag: "widgets", access: .everyone,
                parameters: [["name": "key", "in": "query", "required": true, "schema": ["type": "string"], "description": "the widget's public key (kfw_…)"]],
                responses: ["200": OpenAPIDocument.json("The widget's public settings", configSchema), "404": OpenAPIDocument.problem,
                            "422": OpenAPIDocument.problem]),
        ],
    ]
}

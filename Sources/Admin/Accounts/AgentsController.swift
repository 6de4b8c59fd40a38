import Foundation
import Hummingbird
import Realtime

/// `GET /api/v1/agents`: the tenant's active agents by name, presence and load, for any signed-in
/// colleague (whom to assign to, who did what). Names only, never emails.
public struct AgentsController: Sendable {
    let directory: AgentDirectory

    public init(directory: AgentDirectory) {
        self.directory = directory
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "agents", access: .signedIn, use: list)
    }

    struct AgentsView: ResponseEncodable {
        let items: [AgentDirectory.Agent]
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> AgentsView {
        AgentsView(items: try await directory.agents(tenantID: try context.requirePrincipal().tenantID))
    }

    static let agentSchema: JSONValue = [
        "type": "object",
        "required": ["id", "displayName", "presence", "teamIds", "activeConversations", "maxConcurrentChats"],
        "properties": [
            "id": ["type": "string", "format": "uuid"], "displayName": ["type": "string"],
            "presence": ["type": "string", "enum": ["online", "away", "offline"]],
            "teamIds": ["type": "array", "items": ["type": "string", "format": "uuid"]],
            "activeConversations": ["type": "integer", "description": "open, pending or snoozed with them now"],
            "maxConcurrentChats": ["type": "integer"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/agents": [
            "get": OpenAPIDocument.operation(
                "listAgents", "The tenant's active agents, by display name", tag: "users", access: .signedIn,
                responses: ["200": OpenAPIDocument.json("Every active agent", [
                    "type": "object", "required": ["items"], "properties": ["items": ["type": "array", "items": agentSchema]],
                ])]),
        ],
    ]
}

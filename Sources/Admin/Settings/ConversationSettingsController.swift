import Auth
import Foundation
import Hummingbird
import Realtime

/// `/api/v1/settings/conversations`: how the tenant runs conversations — assignment mode,
/// message size limit, inactivity auto-resolve and the reopen window (`settings.manage`).
public struct ConversationSettingsController: Sendable {
    let settings: ConversationSettingsStore
    let maxBodyBytes: Int

    public init(settings: ConversationSettingsStore, maxBodyBytes: Int) {
        self.settings = settings
        self.maxBodyBytes = maxBodyBytes
    }

    struct View: ResponseEncodable, Codable {
        let assignmentMode: String
        let maxMessageBytes: Int
        let autoResolveMinutes: Int
        let reopenWindowMinutes: Int

        init(_ settings: ConversationSettings) {
            assignmentMode = settings.roundRobin ? "round_robin" : "least_busy"
            maxMessageBytes = settings.maxMessageBytes
            autoResolveMinutes = settings.autoResolveMinutes
            reopenWindowMinutes = settings.reopenWindowMinutes
        }
    }

    struct UpdateRequest: APIRequestBody {
        let assignmentMode: String?
        let maxMessageBytes: Int?
        let autoResolveMinutes: Int?
        let reopenWindowMinutes: Int?

        enum CodingKeys: String, CodingKey, CaseIterable { case assignmentMode, maxMessageBytes, autoResolveMinutes, reopenWindowMinutes }

        func validate() throws {
            if let assignmentMode, !["least_busy", "round_robin"].contains(assignmentMode) {
                throw APIError.validation(field: "assignmentMode", "expected least_busy or round_robin")
            }
        }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "settings/conversations", access: .permission(.settingsManage), use: get)
        group.on(.patch, "settings/conversations", access: .permission(.settingsManage), use: update)
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> View {
        View(try await settings.get(tenantID: try context.requirePrincipal().tenantID))
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> View {
        let body = try await request.decodeJSON(UpdateRequest.self, limit: maxBodyBytes)
        return View(try await settings.update(
            roundRobin: body.assignmentMode.map { $0 == "round_robin" }, maxMessageBytes: body.maxMessageBytes,
            autoResolveMinutes: body.autoResolveMinutes, reopenWindowMinutes: body.reopenWindowMinutes,
            by: try context.requirePrincipal(), origin: context.origin(request)))
    }

    static let properties: [String: JSONValue] = [
        "assignmentMode": ["type": "string", "enum": ["least_busy", "round_robin"],
                           "description": "least_busy: the online agent with the fewest open conversations (ties to the longest idle); round_robin: in turn"],
        "maxMessageBytes": ["type": "integer", "minimum": 64, "maximum": 65536, "description": "Largest text message, in UTF-8 bytes (default 4096)"],
        "autoResolveMinutes": ["type": "integer", "minimum": 0, "maximum": 525_600, "description": "Resolve conversations idle this long; 0 never"],
        "reopenWindowMinutes": ["type": "integer", "minimum": 0, "maximum": 525_600,
                                "description": "A visitor's new message reopens a conversation resolved this recently; otherwise it starts a new one"],
    ]

    static let schema: JSONValue = [
        "type": "object", "required": ["assignmentMode", "maxMessageBytes", "autoResolveMinutes", "reopenWindowMinutes"],
        "properties": .object(properties),
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/settings/conversations": [
            "get": OpenAPIDocument.operation(
                "getConversationSettings", "The tenant's conversation settings", tag: "settings", access: .permission(.settingsManage),
                responses: ["200": OpenAPIDocument.json("Settings", schema)]),
            "patch": OpenAPIDocument.operation(
                "updateConversationSettings", "Change the conversation settings", tag: "settings", access: .permission(.settingsManage),
                body: ["type": "object", "additionalProperties": false, "properties": .object(properties)],
                responses: ["200": OpenAPIDocument.json("The changed settings", schema)]),
        ],
    ]
}

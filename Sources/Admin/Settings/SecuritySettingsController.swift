import Auth
import Foundation
import Hummingbird

/// `/api/v1/settings/security`: the tenant's security settings, changed with `settings.manage`.
public struct SecuritySettingsController: Sendable {
    let settings: SecuritySettingsStore
    let maxBodyBytes: Int

    public init(settings: SecuritySettingsStore, maxBodyBytes: Int) {
        self.settings = settings
        self.maxBodyBytes = maxBodyBytes
    }

    struct UpdateRequest: APIRequestBody {
        let requireTwoFactorForAdmins: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case requireTwoFactorForAdmins }
    }

    struct View: ResponseEncodable {
        let requireTwoFactorForAdmins: Bool
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "settings/security", access: .permission(.settingsManage), use: get)
        group.on(.patch, "settings/security", access: .permission(.settingsManage), use: update)
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> View {
        let current = try await settings.get(tenantID: try context.requirePrincipal().tenantID)
        return View(requireTwoFactorForAdmins: current.requireTwoFactorForAdmins)
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> View {
        let body = try await request.decodeJSON(UpdateRequest.self, limit: maxBodyBytes)
        let changed = try await settings.update(requireTwoFactorForAdmins: body.requireTwoFactorForAdmins,
                                                by: try context.requirePrincipal(), origin: context.origin(request))
        return View(requireTwoFactorForAdmins: changed.requireTwoFactorForAdmins)
    }

    static let schema: JSONValue = [
        "type": "object", "required": ["requireTwoFactorForAdmins"],
        "properties": ["requireTwoFactorForAdmins": [
            "type": "boolean",
            "description": "Users whose role holds an administrative permission must enrol in 2FA before using it",
        ]],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/settings/security": [
            "get": OpenAPIDocument.operation(
                "getSecuritySettings", "The tenant's security settings", tag: "settings", access: .permission(.settingsManage),
                responses: ["200": OpenAPIDocument.json("Settings", schema)]),
            "patch": OpenAPIDocument.operation(
                "updateSecuritySettings", "Change the security settings (requiring 2FA needs the caller's own 2FA first)",
                tag: "settings", access: .permission(.settingsManage),
                body: ["type": "object", "additionalProperties": false, "properties": ["requireTwoFactorForAdmins": ["type": "boolean"]]],
                responses: ["200": OpenAPIDocument.json("The changed settings", schema), "409": OpenAPIDocument.problem]),
        ],
    ]
}

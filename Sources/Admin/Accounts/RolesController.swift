import Auth
import Foundation
import Hummingbird

/// `/api/v1/roles`: built-in and custom roles, managed with `roles.manage`.
public struct RolesController: Sendable {
    let roles: RoleAdministration
    let maxBodyBytes: Int

    public init(roles: RoleAdministration, maxBodyBytes: Int) {
        self.roles = roles
        self.maxBodyBytes = maxBodyBytes
    }

    struct RoleView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let name: String
        let description: String
        let permissions: [String]
        let builtin: String?
        let userCount: Int
        let createdAt: Date

        init(_ role: Role) {
            id = role.id
            name = role.name
            description = role.description
            permissions = role.permissions.map(\.rawValue)
            builtin = role.builtin?.rawValue
            userCount = role.userCount
            createdAt = role.createdAt
        }
    }

    struct CreateRequest: APIRequestBody {
        let name: String
        let description: String?
        let permissions: [String]

        enum CodingKeys: String, CodingKey, CaseIterable { case name, description, permissions }
    }

    struct UpdateRequest: APIRequestBody {
        let name: String?
        let description: String?
        let permissions: [String]?

        enum CodingKeys: String, CodingKey, CaseIterable { case name, description, permissions }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "roles", access: .permission(.rolesManage), use: list)
        group.on(.post, "roles", access: .permission(.rolesManage), use: create)
        group.on(.get, "roles/{id}", access: .permission(.rolesManage), use: get)
        group.on(.patch, "roles/{id}", access: .permission(.rolesManage), use: update)
        group.on(.delete, "roles/{id}", access: .permission(.rolesManage), use: delete)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<RoleView> {
        let principal = try context.requirePrincipal()
        return PageView(try await roles.list(page: try request.pageRequest(), tenantID: principal.tenantID), RoleView.init)
    }

    @Sendable func create(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(CreateRequest.self, limit: maxBodyBytes)
        let role = try await roles.create(name: body.name, description: body.description ?? "", permissions: body.permissions,
                                          by: principal, origin: context.origin(request))
        var response = try RoleView(role).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/roles/\(role.id.uuidString.lowercased())"
        return response
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> RoleView {
        let principal = try context.requirePrincipal()
        return RoleView(try await roles.get(try context.id(), tenantID: principal.tenantID))
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> RoleView {
        let principal = try context.requirePrincipal()
        let id = try context.id()
        let body = try await request.decodeJSON(UpdateRequest.self, limit: maxBodyBytes)
        return RoleView(try await roles.update(id, name: body.name, description: body.description, permissions: body.permissions,
                                               by: principal, origin: context.origin(request)))
    }

    @Sendable func delete(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await roles.delete(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    static let permissionNames: JSONValue = ["type": "array", "items": ["type": "string", "enum": .array(Permission.allCases.map { .string($0.rawValue) })]]

    static let roleSchema: JSONValue = [
        "type": "object", "required": ["id", "name", "description", "permissions", "userCount", "createdAt"],
        "properties": [
            "id": ["type": "string", "format": "uuid"], "name": ["type": "string"], "description": ["type": "string"],
            "permissions": permissionNames,
            "builtin": ["type": ["string", "null"], "enum": ["owner", "admin", "supervisor", "agent", .null]],
            "userCount": ["type": "integer"], "createdAt": ["type": "string", "format": "date-time"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/roles": [
            "get": OpenAPIDocument.operation(
                "listRoles", "The tenant's roles in creation order", tag: "roles", access: .permission(.rolesManage),
                parameters: OpenAPIDocument.pageParameters,
                responses: ["200": OpenAPIDocument.json("A page of roles", PageView<RoleView>.schema(roleSchema)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createRole", "Create a custom role (only with permissions the caller holds)", tag: "roles", access: .permission(.rolesManage),
                body: [
                    "type": "object", "additionalProperties": false, "required": ["name", "permissions"],
                    "properties": ["name": ["type": "string", "maxLength": 64], "description": ["type": "string", "maxLength": 500], "permissions": permissionNames],
                ],
                responses: ["201": OpenAPIDocument.json("Created", roleSchema), "409": OpenAPIDocument.problem]),
        ],
        "/api/v1/roles/{id}": [
            "get": OpenAPIDocument.operation(
                "getRole", "One role", tag: "roles", access: .permission(.rolesManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The role", roleSchema), "404": OpenAPIDocument.problem]),
            "patch": OpenAPIDocument.operation(
                "updateRole", "Change a custom role; built-in roles are fixed", tag: "roles", access: .permission(.rolesManage),
                parameters: [OpenAPIDocument.idParameter],
                body: [
                    "type": "object", "additionalProperties": false,
                    "properties": ["name": ["type": "string", "maxLength": 64], "description": ["type": "string", "maxLength": 500], "permissions": permissionNames],
                ],
                responses: ["200": OpenAPIDocument.json("The changed role", roleSchema), "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteRole", "Delete a custom role nobody holds", tag: "roles", access: .permission(.rolesManage),
                parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem]),
        ],
    ]
}

import Auth
import Foundation
import Hummingbird

/// `/api/v1/users`: the tenant's users, managed with `users.manage`.
public struct UsersController: Sendable {
    let users: UserAdministration
    let maxBodyBytes: Int

    public init(users: UserAdministration, maxBodyBytes: Int) {
        self.users = users
        self.maxBodyBytes = maxBodyBytes
    }

    struct CreateRequest: APIRequestBody {
        let email: String
        let displayName: String
        let password: String
        let roleId: UUID
        let maxConcurrentChats: Int?
        let teamIds: [UUID]?

        enum CodingKeys: String, CodingKey, CaseIterable { case email, displayName, password, roleId, maxConcurrentChats, teamIds }
    }

    struct UpdateRequest: APIRequestBody {
        let displayName: String?
        let roleId: UUID?
        let status: String?
        let maxConcurrentChats: Int?
        let teamIds: [UUID]?
        let password: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case displayName, roleId, status, maxConcurrentChats, teamIds, password }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "users", access: .permission(.usersManage), use: list)
        group.on(.post, "users", access: .permission(.usersManage), use: create)
        group.on(.get, "users/{id}", access: .permission(.usersManage), use: get)
        group.on(.patch, "users/{id}", access: .permission(.usersManage), use: update)
        group.on(.delete, "users/{id}", access: .permission(.usersManage), use: delete)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<UserView> {
        let principal = try context.requirePrincipal()
        var errors: [APIError.FieldError] = []
        let page = request.pageRequest(collecting: &errors)
        let parameters = request.uri.queryParameters
        var filter = UserAdministration.Filter()
        if let status = parameters["status"] {
            if UserAdministration.statuses.contains(String(status)) { filter.status = String(status) } else { errors.append(.init(field: "status", message: "expected active or disabled")) }
        }
        for (name, keyPath) in [("team", \UserAdministration.Filter.teamID), ("role", \UserAdministration.Filter.roleID)] {
            guard let text = parameters[Substring(name)] else { continue }
            if let id = UUID(uuidString: String(text)) { filter[keyPath: keyPath] = id } else { errors.append(.init(field: name, message: "expected a uuid")) }
        }
        if let search = request.formParameter("q") {
            if search.count <= 100 { filter.search = search } else { errors.append(.init(field: "q", message: "expected at most 100 characters")) }
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        return PageView(try await users.list(filter, page: page, tenantID: principal.tenantID), UserView.init)
    }

    @Sendable func create(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(CreateRequest.self, limit: maxBodyBytes)
        let user = try await users.create(
            .init(email: body.email, displayName: body.displayName, password: body.password, roleID: body.roleId,
                  maxConcurrentChats: body.maxConcurrentChats ?? 5, teamIDs: body.teamIds ?? []),
            by: principal, origin: context.origin(request))
        var response = try UserView(user).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/users/\(user.id.uuidString.lowercased())"
        return response
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> UserView {
        let principal = try context.requirePrincipal()
        return UserView(try await users.get(try context.id(), tenantID: principal.tenantID))
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> UserView {
        let principal = try context.requirePrincipal()
        let id = try context.id()
        let body = try await request.decodeJSON(UpdateRequest.self, limit: maxBodyBytes)
        let user = try await users.update(
            id, .init(displayName: body.displayName, roleID: body.roleId, status: body.status, maxConcurrentChats: body.maxConcurrentChats,
                      teamIDs: body.teamIds, password: body.password),
            by: principal, origin: context.origin(request))
        return UserView(user)
    }

    @Sendable func delete(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await users.delete(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    static let user: JSONValue = ["$ref": "#/components/schemas/User"]
    static let uuidArray: JSONValue = ["type": "array", "items": ["type": "string", "format": "uuid"]]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/users": [
            "get": OpenAPIDocument.operation(
                "listUsers", "The tenant's users in creation order", tag: "users", access: .permission(.usersManage),
                parameters: OpenAPIDocument.pageParameters + [
                    ["name": "status", "in": "query", "schema": ["type": "string", "enum": ["active", "disabled"]]],
                    ["name": "team", "in": "query", "schema": ["type": "string", "format": "uuid"]],
                    ["name": "role", "in": "query", "schema": ["type": "string", "format": "uuid"]],
                    ["name": "q", "in": "query", "description": "Part of the email or display name", "schema": ["type": "string", "maxLength": 100]],
                ],
                responses: ["200": OpenAPIDocument.json("A page of users", PageView<UserView>.schema(user)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createUser", "Create a user", tag: "users", access: .permission(.usersManage),
                body: [
                    "type": "object", "additionalProperties": false, "required": ["email", "displayName", "password", "roleId"],
                    "properties": [
                        "email": ["type": "string", "format": "email"], "displayName": ["type": "string", "maxLength": 100],
                        "password": ["type": "string", "minLength": 10], "roleId": ["type": "string", "format": "uuid"],
                        "maxConcurrentChats": ["type": "integer", "minimum": 0, "maximum": 100, "default": 5], "teamIds": uuidArray,
                    ],
                ],
                responses: [
                    "201": OpenAPIDocument.json("Created", user),
                    "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem,
                ]),
        ],
        "/api/v1/users/{id}": [
            "get": OpenAPIDocument.operation(
                "getUser", "One user", tag: "users", access: .permission(.usersManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The user", user), "404": OpenAPIDocument.problem]),
            "patch": OpenAPIDocument.operation(
                "updateUser", "Change a user: name, role, status, capacity, teams or password",
                tag: "users", access: .permission(.usersManage), parameters: [OpenAPIDocument.idParameter],
                body: [
                    "type": "object", "additionalProperties": false,
                    "description": "Disabling a user or setting their password ends their sessions. Only owners change owners; the last active owner stays.",
                    "properties": [
                        "displayName": ["type": "string", "maxLength": 100], "roleId": ["type": "string", "format": "uuid"],
                        "status": ["type": "string", "enum": ["active", "disabled"]],
                        "maxConcurrentChats": ["type": "integer", "minimum": 0, "maximum": 100], "teamIds": uuidArray,
                        "password": ["type": "string", "minLength": 10],
                    ],
                ],
                responses: ["200": OpenAPIDocument.json("The changed user", user), "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteUser", "Delete a user", tag: "users", access: .permission(.usersManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem]),
        ],
    ]
}

import Auth
import Foundation
import Hummingbird

/// `/api/v1/tokens`: API tokens for integrations, managed with `tokens.manage`. A token's secret
/// is in the creation response only.
public struct TokensController: Sendable {
    let tokens: ApiTokenStore
    let maxBodyBytes: Int

    public init(tokens: ApiTokenStore, maxBodyBytes: Int) {
        self.tokens = tokens
        self.maxBodyBytes = maxBodyBytes
    }

    struct TokenView: Codable, Sendable {
        let id: UUID
        let name: String
        let permissions: [String]
        let userId: UUID
        let createdAt: Date
        let expiresAt: Date?
        let lastUsedAt: Date?

        init(_ token: ApiToken) {
            id = token.id
            name = token.name
            permissions = token.permissions.map(\.rawValue)
            userId = token.userID
            createdAt = token.createdAt
            expiresAt = token.expiresAt
            lastUsedAt = token.lastUsedAt
        }
    }

    struct Created: ResponseEncodable {
        let token: String
        let details: TokenView
    }

    struct CreateRequest: APIRequestBody {
        let name: String
        let permissions: [String]
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey, CaseIterable { case name, permissions, expiresAt }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "tokens", access: .permission(.tokensManage), use: list)
        group.on(.post, "tokens", access: .permission(.tokensManage), use: create)
        group.on(.delete, "tokens/{id}", access: .permission(.tokensManage), use: revoke)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<TokenView> {
        let principal = try context.requirePrincipal()
        return PageView(try await tokens.list(page: try request.pageRequest(), tenantID: principal.tenantID), TokenView.init)
    }

    @Sendable func create(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(CreateRequest.self, limit: maxBodyBytes)
        let (token, secret) = try await tokens.create(name: body.name, permissions: body.permissions, expiresAt: body.expiresAt,
                                                      by: principal, origin: context.origin(request))
        var response = try Created(token: secret, details: TokenView(token)).response(from: request, context: context)
        response.status = .created
        return response
    }

    @Sendable func revoke(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await tokens.revoke(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    static let tokenSchema: JSONValue = [
        "type": "object", "required": ["id", "name", "permissions", "userId", "createdAt"],
        "properties": [
            "id": ["type": "string", "format": "uuid"], "name": ["type": "string"], "permissions": RolesController.permissionNames,
            "userId": ["type": "string", "format": "uuid", "description": "The user the token acts for"],
            "createdAt": ["type": "string", "format": "date-time"], "expiresAt": ["type": "string", "format": "date-time"],
            "lastUsedAt": ["type": "string", "format": "date-time"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/tokens": [
            "get": OpenAPIDocument.operation(
                "listTokens", "The tenant's live API tokens (never their secrets)", tag: "tokens", access: .permission(.tokensManage),
                parameters: OpenAPIDocument.pageParameters,
                responses: ["200": OpenAPIDocument.json("A page of tokens", PageView<TokenView>.schema(tokenSchema)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createToken", "Create an API token limited to permissions the caller holds; the secret is shown once",
                tag: "tokens", access: .permission(.tokensManage),
                body: [
                    "type": "object", "additionalProperties": false, "required": ["name", "permissions"],
                    "properties": [
                        "name": ["type": "string", "maxLength": 100], "permissions": RolesController.permissionNames,
                        "expiresAt": ["type": "string", "format": "date-time"],
                    ],
                ],
                responses: ["201": OpenAPIDocument.json("Created", [
                    "type": "object", "required": ["token", "details"],
                    "properties": ["token": ["type": "string", "description": "Use as Authorization: Bearer; shown only now"], "details": tokenSchema],
                ])]),
        ],
        "/api/v1/tokens/{id}": [
            "delete": OpenAPIDocument.operation(
                "revokeToken", "Revoke an API token", tag: "tokens", access: .permission(.tokensManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Revoked"], "404": OpenAPIDocument.problem]),
        ],
    ]
}

import Auth
import Foundation
import Hummingbird

/// The caller's own account: `GET /api/v1/me`, `GET /api/v1/sessions`, `DELETE /api/v1/sessions/{id}`.
public struct MeController: Sendable {
    let accounts: AccountDirectory
    let sessions: SessionStore

    public init(accounts: AccountDirectory, sessions: SessionStore) {
        self.accounts = accounts
        self.sessions = sessions
    }

    struct Me: ResponseEncodable {
        let user: UserView
        let tenantId: UUID
        let permissions: [String]
        /// `session` or `token`: what the caller signed in with.
        let credential: String
        /// The tenant requires 2FA for this user's role and it is not enrolled yet: the role's
        /// permissions wait until it is.
        let twoFactorEnrolmentRequired: Bool
    }

    struct SessionList: ResponseEncodable {
        struct Item: Codable {
            let id: UUID
            let current: Bool
            let createdAt: Date
            let lastSeenAt: Date
            let expiresAt: Date
            let ip: String
            let userAgent: String
        }
        let items: [Item]
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "me", access: .signedIn, use: me)
        group.on(.get, "sessions", access: .session, use: listSessions)
        group.on(.delete, "sessions/{id}", access: .session, use: revokeSession)
    }

    @Sendable func me(request: Request, context: KefuRequestContext) async throws -> Me {
        let principal = try context.requirePrincipal()
        guard let user = try await accounts.user(principal.userID, tenantID: principal.tenantID) else {
            throw APIError.unauthenticated("The account no longer exists.")
        }
        return Me(user: UserView(user), tenantId: principal.tenantID, permissions: principal.permissions.map(\.rawValue).sorted(),
                  credential: principal.sessionID == nil ? "token" : "session",
                  twoFactorEnrolmentRequired: principal.twoFactorEnrolmentRequired)
    }

    @Sendable func listSessions(request: Request, context: KefuRequestContext) async throws -> SessionList {
        let principal = try context.requirePrincipal()
        let items = try await sessions.list(for: principal).map {
            SessionList.Item(id: $0.id, current: $0.id == principal.sessionID, createdAt: $0.createdAt, lastSeenAt: $0.lastSeenAt,
                             expiresAt: $0.expiresAt, ip: $0.ip, userAgent: $0.userAgent)
        }
        return SessionList(items: items)
    }

    @Sendable func revokeSession(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
              try await sessions.revoke(id, of: principal, origin: context.origin(request))
        else { throw APIError.notFound("No such session of yours.") }
        return Response(status: .noContent)
    }

    static let sessionSchema: JSONValue = [
        "type": "object",
        "required": ["id", "current", "createdAt", "lastSeenAt", "expiresAt", "ip", "userAgent"],
        "properties": [
            "id": ["type": "string", "format": "uuid"], "current": ["type": "boolean"],
            "createdAt": ["type": "string", "format": "date-time"], "lastSeenAt": ["type": "string", "format": "date-time"],
            "expiresAt": ["type": "string", "format": "date-time"], "ip": ["type": "string"], "userAgent": ["type": "string"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/me": [
            "get": [
                "operationId": "getMe", "summary": "The signed-in user, tenant and permissions", "tags": ["account"],
                "x-permission": "signed-in", "security": OpenAPIDocument.signedIn,
                "responses": OpenAPIDocument.signedInResponses(["200": ["description": "The caller", "content": ["application/json": ["schema": [
                    "type": "object", "required": ["user", "tenantId", "permissions", "credential", "twoFactorEnrolmentRequired"],
                    "properties": ["user": ["$ref": "#/components/schemas/User"], "tenantId": ["type": "string", "format": "uuid"],
                                   "permissions": ["type": "array", "items": ["type": "string"]],
                                   "credential": ["type": "string", "enum": ["session", "token"]],
                                   "twoFactorEnrolmentRequired": ["type": "boolean"]],
                ]]]]]),
            ],
        ],
        "/api/v1/sessions": [
            "get": [
                "operationId": "listSessions", "summary": "The caller's live sessions", "tags": ["account"],
                "x-permission": "session", "security": OpenAPIDocument.signedIn,
                "responses": OpenAPIDocument.signedInResponses(["200": ["description": "Sessions, newest first", "content": ["application/json": ["schema": [
                    "type": "object", "required": ["items"], "properties": ["items": ["type": "array", "items": sessionSchema]],
                ]]]]]),
            ],
        ],
        "/api/v1/sessions/{id}": [
            "delete": [
                "operationId": "revokeSession", "summary": "Revoke one of the caller's sessions", "tags": ["account"],
                "x-permission": "session", "security": OpenAPIDocument.signedIn,
                "parameters": [["name": "id", "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"]]],
                "responses": OpenAPIDocument.signedInResponses([
                    "204": ["description": "Revoked"],
                    "404": ["$ref": "#/components/responses/Problem"],
                ]),
            ],
        ],
    ]
}

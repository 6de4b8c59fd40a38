import Auth
import Foundation
import Hummingbird

/// Login and logout: `POST /api/v1/auth/login`, `/auth/logout`, `/auth/logout-all`.
public struct AuthController: Sendable {
    let login: LoginService
    let sessions: SessionStore
    let maxBodyBytes: Int
    let cookies: SessionCookies

    public init(login: LoginService, sessions: SessionStore, maxBodyBytes: Int, cookies: SessionCookies) {
        self.login = login
        self.sessions = sessions
        self.maxBodyBytes = maxBodyBytes
        self.cookies = cookies
    }

    struct LoginRequest: APIRequestBody {
        let tenant: String
        let email: String
        let password: String
        let totp: String?
        let mode: Mode?

        /// `token` (the default): the body carries the bearer token, for API clients, and the
        /// cookies are set too. `cookie`: only the cookies, so a page's scripts never see the
        /// session secret.
        enum Mode: String, Decodable, Sendable { case token, cookie }

        enum CodingKeys: String, CodingKey, CaseIterable { case tenant, email, password, totp, mode }

        func validate() throws {
            var errors: [APIError.FieldError] = []
            if tenant.isEmpty || tenant.count > 63 { errors.append(.init(field: "tenant", message: "give the tenant's slug")) }
            if email.isEmpty || email.count > 254 { errors.append(.init(field: "email", message: "give an email address")) }
            if password.isEmpty || password.count > PasswordPolicy.maximumLength { errors.append(.init(field: "password", message: "give the password")) }
            if let totp, totp.count > 32 { errors.append(.init(field: "totp", message: "give the 6-digit code or a recovery code")) }
            if !errors.isEmpty { throw APIError.validation(errors) }
        }
    }

    struct LoginResponse: ResponseEncodable {
        /// Left out in cookie mode.
        let token: String?
        let expiresAt: Date
        let user: UserView
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.post, "auth/login", access: .everyone, use: self.login)
        group.on(.post, "auth/logout", access: .session, use: logout)
        group.on(.post, "auth/logout-all", access: .session, use: logoutEverywhere)
    }

    @Sendable func login(request: Request, context: KefuRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(LoginRequest.self, limit: maxBodyBytes)
        let result = try await login.login(
            tenantSlug: body.tenant, email: body.email, password: body.password, totp: body.totp,
            ip: context.clientIP, userAgent: request.headers[.userAgent] ?? "")
        let token = body.mode == .cookie ? nil : result.token.value
        var response = try LoginResponse(token: token, expiresAt: result.expiresAt, user: UserView(result.user))
            .response(from: request, context: context)
        var generator = SystemRandomNumberGenerator()
        let csrf = (0..<4).map { _ in String(UInt64.random(in: .min ... .max, using: &generator), radix: 36) }.joined()
        cookies.set(on: &response, token: result.token.value, csrf: csrf, maxAge: Int(sessions.lifetimes.absoluteLifetime), context: context)
        return response
    }

    @Sendable func logout(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        if let sessionID = principal.sessionID {
            try await sessions.revoke(sessionID, of: principal, origin: context.origin(request))
        }
        return clearedCookies(context)
    }

    @Sendable func logoutEverywhere(request: Request, context: KefuRequestContext) async throws -> Response {
        try await sessions.revokeAll(of: context.requirePrincipal(), origin: context.origin(request))
        return clearedCookies(context)
    }

    private func clearedCookies(_ context: KefuRequestContext) -> Response {
        var response = Response(status: .noContent)
        cookies.clear(on: &response, context: context)
        return response
    }

    public static let openAPIPaths: JSONValue = [
        "/api/v1/auth/login": [
            "post": [
                "operationId": "login",
                "summary": "Sign in with tenant, email and password",
                "description": "Returns a bearer token and sets the HttpOnly session cookie and the CSRF cookie (`__Host-kefu_session` and `__Host-kefu_csrf` when the request arrived over HTTPS, else `kefu_session` and `kefu_csrf`). With `\"mode\": \"cookie\"` the body leaves the token out: only the HttpOnly cookie carries it, so page scripts never see it. An unknown tenant, unknown email and wrong password all answer 401 invalid-credentials. An account with two-factor authentication answers 401 two-factor-required until `totp` carries the authenticator's code or a recovery code (401 two-factor-invalid when wrong or reused).",
                "tags": ["auth"],
                "x-permission": "none",
                "requestBody": OpenAPIDocument.jsonBody([
                    "type": "object", "additionalProperties": false,
                    "required": ["tenant", "email", "password"],
                    "properties": ["tenant": ["type": "string"], "email": ["type": "string"], "password": ["type": "string"],
                                   "totp": ["type": "string", "description": "The authenticator's 6-digit code or a recovery code"],
                                   "mode": ["type": "string", "enum": ["token", "cookie"], "default": "token",
                                            "description": "cookie: sign a browser in with cookies only; the answer has no token"]],
                ]),
                "responses": OpenAPIDocument.responsesWithBody([
                    "200": ["description": "Signed in", "content": ["application/json": ["schema": [
                        "type": "object", "required": ["expiresAt", "user"],
                        "properties": ["token": ["type": "string", "description": "The bearer token; absent in cookie mode"], "expiresAt": ["type": "string", "format": "date-time"], "user": ["$ref": "#/components/schemas/User"]],
                    ]]]],
                    "401": ["$ref": "#/components/responses/Problem"],
                    "403": ["$ref": "#/components/responses/Problem"],
                ]),
            ],
        ],
        "/api/v1/auth/logout": [
            "post": [
                "operationId": "logout", "summary": "End this session", "tags": ["auth"], "x-permission": "session",
                "security": OpenAPIDocument.signedIn,
                "responses": OpenAPIDocument.signedInResponses(["204": ["description": "Signed out"]]),
            ],
        ],
        "/api/v1/auth/logout-all": [
            "post": [
                "operationId": "logoutEverywhere", "summary": "End every session of the caller", "tags": ["auth"], "x-permission": "session",
                "security": OpenAPIDocument.signedIn,
                "responses": OpenAPIDocument.signedInResponses(["204": ["description": "Signed out everywhere"]]),
            ],
        ],
    ]
}

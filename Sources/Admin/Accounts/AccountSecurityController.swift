import Auth
import Foundation
import Hummingbird
import Tenancy

/// The caller's own credentials: `POST /api/v1/me/password` and the second factor under
/// `/api/v1/me/two-factor`. Only a login session may change them, never an API token.
public struct AccountSecurityController: Sendable {
    let accounts: AccountDirectory
    let twoFactor: TwoFactorService
    let maxBodyBytes: Int
    /// The login throttle: wrong current passwords here count like failed logins, so a stolen
    /// session cannot guess the password through these routes.
    let throttle: LoginThrottle

    public init(accounts: AccountDirectory, twoFactor: TwoFactorService, maxBodyBytes: Int, throttle: LoginThrottle) {
        self.accounts = accounts
        self.twoFactor = twoFactor
        self.maxBodyBytes = maxBodyBytes
        self.throttle = throttle
    }

    /// Runs `action`, which checks the caller's password, under the throttle.
    private func confirmingPassword<Result>(_ request: Request, _ context: KefuRequestContext,
                                            _ action: (Principal, RequestOrigin) async throws -> Result) async throws -> Result {
        let principal = try context.requirePrincipal()
        let origin = context.origin(request)
        return try await throttle.confirmingPassword(userID: principal.userID, ip: origin.ip, isWrongPassword: { error in
            guard let invalid = error as? InvalidFields else { return false }
            return invalid.contains(field: "currentPassword") || invalid.contains(field: "password")
        }) {
            try await action(principal, origin)
        }
    }

    struct PasswordRequest: APIRequestBody {
        let currentPassword: String
        let newPassword: String

        enum CodingKeys: String, CodingKey, CaseIterable { case currentPassword, newPassword }
    }

    struct CodeRequest: APIRequestBody {
        let code: String

        enum CodingKeys: String, CodingKey, CaseIterable { case code }
    }

    struct PasswordConfirmation: APIRequestBody {
        let password: String

        enum CodingKeys: String, CodingKey, CaseIterable { case password }
    }

    struct Status: ResponseEncodable {
        let enabled: Bool
        let recoveryCodesLeft: Int
    }

    struct Enrolment: ResponseEncodable {
        let secret: String
        let otpauthUri: String
    }

    struct RecoveryCodeList: ResponseEncodable {
        let recoveryCodes: [String]
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.post, "me/password", access: .session, use: changePassword)
        group.on(.get, "me/two-factor", access: .session, use: status)
        group.on(.post, "me/two-factor", access: .session, use: begin)
        group.on(.post, "me/two-factor/confirm", access: .session, use: confirm)
        group.on(.post, "me/two-factor/disable", access: .session, use: disable)
        group.on(.post, "me/two-factor/recovery-codes", access: .session, use: regenerate)
    }

    @Sendable func changePassword(request: Request, context: KefuRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(PasswordRequest.self, limit: maxBodyBytes)
        try await confirmingPassword(request, context) { principal, origin in
            try await accounts.changePassword(current: body.currentPassword, new: body.newPassword, for: principal, origin: origin)
        }
        return Response(status: .noContent)
    }

    @Sendable func status(request: Request, context: KefuRequestContext) async throws -> Status {
        let principal = try context.requirePrincipal()
        guard let user = try await accounts.user(principal.userID, tenantID: principal.tenantID) else { throw APIError.notFound() }
        return Status(enabled: user.twoFactorEnabled, recoveryCodesLeft: try await twoFactor.remainingRecoveryCodes(for: principal))
    }

    @Sendable func begin(request: Request, context: KefuRequestContext) async throws -> Enrolment {
        let enrolment = try await twoFactor.begin(for: try context.requirePrincipal())
        return Enrolment(secret: enrolment.secret, otpauthUri: enrolment.uri)
    }

    @Sendable func confirm(request: Request, context: KefuRequestContext) async throws -> RecoveryCodeList {
        let body = try await request.decodeJSON(CodeRequest.self, limit: maxBodyBytes)
        return RecoveryCodeList(recoveryCodes: try await twoFactor.confirm(code: body.code, for: try context.requirePrincipal(), origin: context.origin(request)))
    }

    @Sendable func disable(request: Request, context: KefuRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(PasswordConfirmation.self, limit: maxBodyBytes)
        try await confirmingPassword(request, context) { principal, origin in
            try await twoFactor.disable(password: body.password, for: principal, origin: origin)
        }
        return Response(status: .noContent)
    }

    @Sendable func regenerate(request: Request, context: KefuRequestContext) async throws -> RecoveryCodeList {
        let body = try await request.decodeJSON(PasswordConfirmation.self, limit: maxBodyBytes)
        return RecoveryCodeList(recoveryCodes: try await confirmingPassword(request, context) { principal, origin in
            try await twoFactor.regenerateRecoveryCodes(password: body.password, for: principal, origin: origin)
        })
    }

    static let codes: JSONValue = [
        "type": "object", "required": ["recoveryCodes"],
        "properties": ["recoveryCodes": ["type": "array", "items": ["type": "string"], "description": "Single-use; shown only now"]],
    ]
    static let passwordBody: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["password"], "properties": ["password": ["type": "string"]],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/me/password": [
            "post": OpenAPIDocument.operation(
                "changePassword", "Change the caller's password; every other session ends", tag: "account", access: .session,
                body: [
                    "type": "object", "additionalProperties": false, "required": ["currentPassword", "newPassword"],
                    "properties": ["currentPassword": ["type": "string"], "newPassword": ["type": "string", "minLength": 10]],
                ],
                responses: ["204": ["description": "Changed"]]),
        ],
        "/api/v1/me/two-factor": [
            "get": OpenAPIDocument.operation(
                "getTwoFactor", "Whether the caller uses a second factor", tag: "account", access: .session,
                responses: ["200": OpenAPIDocument.json("Status", [
                    "type": "object", "required": ["enabled", "recoveryCodesLeft"],
                    "properties": ["enabled": ["type": "boolean"], "recoveryCodesLeft": ["type": "integer"]],
                ])]),
            "post": OpenAPIDocument.operation(
                "beginTwoFactor", "Start TOTP enrolment: a secret and otpauth URI for an authenticator app", tag: "account", access: .session,
                responses: ["200": OpenAPIDocument.json("The enrolment", [
                    "type": "object", "required": ["secret", "otpauthUri"],
                    "properties": ["secret": ["type": "string", "description": "base32"], "otpauthUri": ["type": "string"]],
                ]), "409": OpenAPIDocument.problem]),
        ],
        "/api/v1/me/two-factor/confirm": [
            "post": OpenAPIDocument.operation(
                "confirmTwoFactor", "Confirm enrolment with the authenticator's current code; returns recovery codes",
                tag: "account", access: .session,
                body: ["type": "object", "additionalProperties": false, "required": ["code"], "properties": ["code": ["type": "string"]]],
                responses: ["200": OpenAPIDocument.json("Enabled", codes), "409": OpenAPIDocument.problem]),
        ],
        "/api/v1/me/two-factor/disable": [
            "post": OpenAPIDocument.operation(
                "disableTwoFactor", "Turn the second factor off (refused while the tenant requires it)", tag: "account", access: .session,
                body: passwordBody, responses: ["204": ["description": "Disabled"], "409": OpenAPIDocument.problem]),
        ],
        "/api/v1/me/two-factor/recovery-codes": [
            "post": OpenAPIDocument.operation(
                "regenerateRecoveryCodes", "Replace the recovery codes", tag: "account", access: .session,
                body: passwordBody, responses: ["200": OpenAPIDocument.json("New codes", codes), "409": OpenAPIDocument.problem]),
        ],
    ]
}

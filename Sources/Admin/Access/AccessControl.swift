import Auth
import Hummingbird

/// What a route requires of its caller.
public enum Access: Sendable {
    /// Anyone (login, server info).
    case everyone
    /// Any signed-in caller: a login session or an API token (their own profile).
    case signedIn
    /// A user's own login session, not an API token (their sessions, password, second factor).
    case session
    /// A signed-in user whose role has this permission.
    case permission(Permission)

    /// The OpenAPI `x-permission` value, so the document tells clients what each route needs.
    public var documentation: String {
        switch self {
        case .everyone: "none"
        case .signedIn: "signed-in"
        case .session: "session"
        case .permission(let permission): permission.rawValue
        }
    }
}

extension RouterGroup where Context == KefuRequestContext {
    /// Registers a route with its access rule: the one place permissions are checked.
    /// 401 without a valid session, 403 (`forbidden`) without the permission.
    @discardableResult
    public func on<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: RouterPath, access: Access,
        use handler: @escaping @Sendable (Request, KefuRequestContext) async throws -> Output
    ) -> Self {
        on(path, method: method) { request, context in
            try context.authorize(access)
            return try await handler(request, context)
        }
    }
}

extension KefuRequestContext {
    /// Throws unless the caller meets `access`; returns the principal when there is one.
    @discardableResult
    public func authorize(_ access: Access) throws -> Principal? {
        switch access {
        case .everyone:
            return principal
        case .signedIn:
            guard let principal else { throw APIError.unauthenticated("Sign in first.") }
            return principal
        case .session:
            guard let principal else { throw APIError.unauthenticated("Sign in first.") }
            guard principal.sessionID != nil else {
                throw APIError(.forbidden, code: "session-required", title: "A login session is required",
                               detail: "API tokens cannot do this; sign in as the user.")
            }
            return principal
        case .permission(let permission):
            guard let principal else { throw APIError.unauthenticated("Sign in first.") }
            if principal.twoFactorEnrolmentRequired {
                throw APIError(.forbidden, code: "two-factor-enrolment-required", title: "Two-factor authentication required",
                               detail: "This tenant requires two-factor authentication for your role: enrol at /api/v1/me/two-factor first.")
            }
            guard principal.has(permission) else {
                throw APIError(.forbidden, code: "forbidden", title: "Permission denied",
                               detail: "This needs the \(permission.rawValue) permission.")
            }
            return principal
        }
    }

    /// The signed-in caller; only valid on routes registered with `.signedIn` or a permission.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthenticated("Sign in first.") }
        return principal
    }
}

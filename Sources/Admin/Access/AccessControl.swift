import Auth
import Hummingbird

/// What a route requires of its caller.
public enum Access: Sendable {
    /// Anyone (login, server info).
    case everyone
    /// Any signed-in user (their own profile and sessions).
    case signedIn
    /// A signed-in user whose role has this permission.
    case permission(Permission)

    /// The OpenAPI `x-permission` value, so the document tells clients what each route needs.
    public var documentation: String {
        switch self {
        case .everyone: "none"
        case .signedIn: "signed-in"
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
        case .permission(let permission):
            guard let principal else { throw APIError.unauthenticated("Sign in first.") }
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

import Auth
import Hummingbird
import HTTPTypes

/// Finds the caller: `Authorization: Bearer <token>` (a session or an API token) for API
/// clients, the session cookie (`__Host-kefu_session` over HTTPS, else `kefu_session`) for
/// browsers. A cookie-authenticated mutation must also send the `X-CSRF-Token` header equal to
/// the CSRF cookie of the same name prefix (double submit), which another site's page cannot
/// read. Routes decide what access they need; see `AccessControl`.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = KefuRequestContext
    public static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let authenticator: Authenticator

    public init(authenticator: Authenticator) {
        self.authenticator = authenticator
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            guard authorization.lowercased().hasPrefix("bearer ") else {
                throw APIError.unauthenticated("Use Authorization: Bearer <token>.")
            }
            let token = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
            guard let principal = try await authenticator.authenticate(bearer: token) else {
                throw APIError.unauthenticated("The token is unknown, revoked or expired.")
            }
            context.principal = principal
        } else if let cookie = SessionCookies.session(in: request) {
            if let principal = try await authenticator.sessions.authenticate(cookie.token) {
                if ![.get, .head, .options].contains(request.method) {
                    let expected = request.cookies[cookie.csrfCookie]?.value
                    guard let expected, !expected.isEmpty, request.headers[Self.csrfHeader] == expected else {
                        throw APIError(.forbidden, code: "csrf-failed", title: "CSRF check failed",
                                       detail: "Send the \(cookie.csrfCookie) cookie's value in the X-CSRF-Token header.")
                    }
                }
                context.principal = principal
                context.authenticatedByCookie = true
            }
        }
        return try await next(request, context)
    }
}

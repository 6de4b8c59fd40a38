import Admin
import HTTPTypes
import Hummingbird

/// Security headers on every response: a Content-Security-Policy without inline script,
/// no MIME sniffing, no framing by other sites, a strict referrer policy, and HSTS when TLS is on.
/// They are defaults: a header the route set itself is kept (a file download's sandboxing
/// `default-src 'none'; sandbox` is stricter than the site's policy, and must survive it).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext

    static let contentSecurityPolicy = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self' ws: wss:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// `max-age` for Strict-Transport-Security, or `nil` when not serving TLS.
    let hstsMaxAge: Int?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers.setDefault(.contentSecurityPolicy, Self.contentSecurityPolicy)
        response.headers.setDefault(.xContentTypeOptions, "nosniff")
        response.headers.setDefault(.referrerPolicy, "strict-origin-when-cross-origin")
        response.headers.setDefault(.xFrameOptions, "DENY")
        response.headers.setDefault(.permissionsPolicy, "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setDefault(.crossOriginOpenerPolicy, "same-origin")
        if let hstsMaxAge {
            response.headers.setDefault(.strictTransportSecurity, "max-age=\(hstsMaxAge); includeSubDomains")
        }
        return response
    }
}

extension HTTPFields {
    /// Sets `name` to `value` unless the response already carries that header.
    mutating func setDefault(_ name: HTTPField.Name, _ value: String) {
        if self[name] == nil { self[name] = value }
    }
}

extension HTTPField.Name {
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
}

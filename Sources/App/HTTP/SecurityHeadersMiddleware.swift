import Admin
import HTTPTypes
import Hummingbird

/// Security headers on every response: a Content-Security-Policy without inline script,
/// no MIME sniffing, no framing by other sites, a strict referrer policy, and HSTS when TLS is on.
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
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "strict-origin-when-cross-origin"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=(), payment=()"
        response.headers[.crossOriginOpenerPolicy] = "same-origin"
        if let hstsMaxAge {
            response.headers[.strictTransportSecurity] = "max-age=\(hstsMaxAge); includeSubDomains"
        }
        return response
    }
}

extension HTTPField.Name {
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
}

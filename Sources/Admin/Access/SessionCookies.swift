import Auth
import Hummingbird

/// Sets, finds and clears the browser session's cookies: the HttpOnly session token and the
/// script-readable CSRF token (double submit). Names and attributes follow how the request
/// arrived (see `SessionCookieName`); `KEFU_COOKIE_SECURE=true` forces `Secure` even over HTTP.
public struct SessionCookies: Sendable {
    /// Mark cookies `Secure` whatever the request's scheme.
    let forceSecure: Bool

    public init(forceSecure: Bool) {
        self.forceSecure = forceSecure
    }

    /// The session cookie a request carries: its value, and the name of the CSRF cookie that
    /// goes with it (the same prefix).
    public static func session(in request: Request) -> (token: String, csrfCookie: String)? {
        for name in SessionCookieName.sessionNames {
            if let value = request.cookies[name]?.value, !value.isEmpty {
                let prefix = name.hasPrefix(SessionCookieName.hostPrefix) ? SessionCookieName.hostPrefix : ""
                return (value, prefix + SessionCookieName.csrf)
            }
        }
        return nil
    }

    /// Sets both cookies for a new session.
    func set(on response: inout Response, token: String, csrf: String, maxAge: Int, context: KefuRequestContext) {
        let (prefix, secure) = attributes(context)
        response.setCookie(.init(name: prefix + SessionCookieName.session, value: token, maxAge: maxAge, path: "/",
                                 secure: secure, httpOnly: true, sameSite: .lax))
        response.setCookie(.init(name: prefix + SessionCookieName.csrf, value: csrf, maxAge: maxAge, path: "/",
                                 secure: secure, httpOnly: false, sameSite: .lax))
    }

    /// Expires both cookies under every name this request's browser may hold.
    func clear(on response: inout Response, context: KefuRequestContext) {
        let (prefix, secure) = attributes(context)
        for cookiePrefix in prefix.isEmpty ? [""] : ["", prefix] {
            for name in [SessionCookieName.session, SessionCookieName.csrf] {
                response.setCookie(.init(name: cookiePrefix + name, value: "", maxAge: 0, path: "/", secure: secure || !cookiePrefix.isEmpty,
                                         httpOnly: name == SessionCookieName.session, sameSite: .lax))
            }
        }
    }

    /// `__Host-` names exactly when the request arrived over HTTPS (a browser refuses them
    /// otherwise); `Secure` then, or when forced.
    private func attributes(_ context: KefuRequestContext) -> (prefix: String, secure: Bool) {
        (context.arrivedOverHTTPS ? SessionCookieName.hostPrefix : "", forceSecure || context.arrivedOverHTTPS)
    }
}

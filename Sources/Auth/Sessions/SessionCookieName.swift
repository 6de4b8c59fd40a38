/// The names of the browser session's cookies, shared by the REST API and the agent socket.
///
/// Over HTTPS the cookies carry the `__Host-` prefix: the browser then accepts them only with
/// `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot plant or shadow them. Over
/// plain HTTP (development, or `KEFU_COOKIE_SECURE` behind a proxy that does not say so) they go
/// without it. Readers accept either name, the prefixed one first.
public enum SessionCookieName {
    public static let session = "kefu_session"
    public static let csrf = "kefu_csrf"
    public static let hostPrefix = "__Host-"

    /// The session cookie's names, in the order a reader tries them.
    public static let sessionNames = [hostPrefix + session, session]
}

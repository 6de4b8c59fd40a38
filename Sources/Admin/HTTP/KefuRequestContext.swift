import Auth
import Hummingbird
import NIOCore

/// What one HTTP request carries through Kefu: the core Hummingbird state, its request id and
/// the peer's address. Later the authenticated principal and tenant join it here, never in a
/// global or a string-keyed bag.
public struct KefuRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the request-id middleware: echoed as `X-Request-Id` and logged on every line.
    public var requestID: String
    /// The TCP peer (the load balancer's address when behind one).
    public let remoteAddress: SocketAddress?
    /// The client's address: the TCP peer, or, when the peer is a trusted proxy, the address it
    /// forwarded (set by App's client-address middleware). Rate limits, login throttling and the
    /// audit log use it.
    public var clientIP: String
    /// Whether the request reached Kefu over HTTPS, directly or (as a trusted proxy says) at
    /// the proxy. Decides the session cookies' `Secure` attribute and names.
    public var arrivedOverHTTPS = false

    /// The signed-in caller, set by `AuthenticationMiddleware` when a valid session is presented.
    public var principal: Principal?
    /// Whether the session came from the browser cookie (mutations then need the CSRF token).
    public var authenticatedByCookie = false

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.remoteAddress = source.channel.remoteAddress
        self.clientIP = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The caller's address and user agent, for the audit log.
    public func origin(_ request: Request) -> RequestOrigin {
        RequestOrigin(ip: clientIP, userAgent: request.headers[.userAgent] ?? "")
    }
}

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

    /// The signed-in caller, set by `AuthenticationMiddleware` when a valid session is presented.
    public var principal: Principal?
    /// Whether the session came from the browser cookie (mutations then need the CSRF token).
    public var authenticatedByCookie = false

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address as text, used for rate limiting and audit.
    public var clientIP: String {
        remoteAddress?.ipAddress ?? "unknown"
    }

    /// The caller's address and user agent, for the audit log.
    public func origin(_ request: Request) -> RequestOrigin {
        RequestOrigin(ip: clientIP, userAgent: request.headers[.userAgent] ?? "")
    }
}

import Admin
import HTTPTypes
import Hummingbird

/// Puts the request's client address and scheme (see `ClientAddressResolver`) into its context,
/// before any middleware that limits, throttles or audits by address.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext
    let resolver: ClientAddressResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let address = resolver.resolve(peer: context.remoteAddress) { name in
            request.headers[values: HTTPField.Name(name.rawValue)!]
        }
        context.clientIP = address.ip
        context.arrivedOverHTTPS = address.isHTTPS
        return try await next(request, context)
    }
}

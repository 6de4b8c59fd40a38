import Admin
import HTTPTypes
import Hummingbird

/// API answers are private and must never be cached by browsers or proxies.
struct APIHeadersMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

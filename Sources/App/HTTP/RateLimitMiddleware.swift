import Admin
import Hummingbird

/// Answers 429 with `Retry-After` once a client (an IPv4 address, an IPv6 /64) exceeds the API's
/// request rate.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let retryAfter = limiter.acquire(IPAddress.rateLimitKey(context.clientIP)) {
            throw APIError.tooManyRequests(retryAfterSeconds: retryAfter)
        }
        return try await next(request, context)
    }
}

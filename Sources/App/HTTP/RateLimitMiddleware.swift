import Admin
import Hummingbird

/// Answers 429 with `Retry-After` once a client IP exceeds the API's request rate.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let retryAfter = limiter.acquire(context.clientIP) {
            throw APIError.tooManyRequests(retryAfterSeconds: retryAfter)
        }
        return try await next(request, context)
    }
}

import Admin
import Hummingbird

/// Counts requests by method, route pattern (never the raw path: ids would explode the series)
/// and status, and records their latency.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, started: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, status: status, started: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant) {
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: status, duration: .now - started)
    }
}

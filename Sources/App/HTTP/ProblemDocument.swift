import Admin
import Foundation
import HTTPTypes
import NIOCore

/// The wire form of a problem (RFC 9457), rendered in one place for every error Kefu answers
/// over HTTP: the router's (`ProblemMiddleware`) and a refused WebSocket upgrade's
/// (`RealtimeServerChannel`, which answers before any router exists). Both therefore carry the
/// same fields (`type`, `code`, `title`, `status`, `detail`, `instance`, `requestId`, `errors`; `category`
/// on `content-blocked`)
/// and the same headers, `X-Request-Id` included, so a client handles them alike.
struct ProblemDocument: Sendable {
    let status: HTTPResponse.Status
    /// The problem's own headers (`Retry-After`, `Allow`, …) and the document's.
    let headers: HTTPFields
    let body: ByteBuffer

    /// - Parameters:
    ///   - path: the request's path without its query, reported as `instance`.
    ///   - requestID: the request's id, reported as `requestId` and in `X-Request-Id`.
    init(_ problem: APIError, path: String, requestID: String) {
        struct Body: Encodable {
            let type: String
            let code: String
            let title: String
            let status: Int
            let detail: String?
            let instance: String
            let requestId: String
            let errors: [APIError.FieldError]?
            let category: String?
        }
        let body = Body(
            type: problem.type, code: problem.code, title: problem.title, status: problem.status.code,
            detail: problem.detail, instance: path, requestId: requestID,
            errors: problem.errors.isEmpty ? nil : problem.errors, category: problem.category)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data()
        var headers = problem.headers
        headers[.contentType] = "application/problem+json"
        headers[.cacheControl] = "no-store"
        headers[.requestID] = requestID
        self.status = problem.status
        self.headers = headers
        self.body = ByteBuffer(bytes: data)
    }
}

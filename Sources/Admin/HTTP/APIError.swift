import HTTPTypes
import Hummingbird

/// The one error type the HTTP layer answers with, rendered as `application/problem+json`
/// (RFC 9457). `code` is stable: clients match on it, never on `title` or `detail`.
public struct APIError: Error, Sendable, Equatable {
    /// One invalid field of a request body or query.
    public struct FieldError: Sendable, Equatable, Codable {
        public let field: String
        public let message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var status: HTTPResponse.Status
    public var code: String
    public var title: String
    public var detail: String?
    public var errors: [FieldError]
    public var headers: HTTPFields
    /// The blocking rule's category, on `content-blocked`.
    public var category: String?

    public init(_ status: HTTPResponse.Status, code: String, title: String, detail: String? = nil, errors: [FieldError] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    /// The problem `type` URI for `code`.
    public var type: String { "urn:kefu:problem:\(code)" }

    public static func badRequest(_ detail: String) -> APIError {
        APIError(.badRequest, code: "bad-request", title: "The request is malformed", detail: detail)
    }

    public static func malformedJSON(_ detail: String) -> APIError {
        APIError(.badRequest, code: "malformed-json", title: "The request body is not valid JSON", detail: detail)
    }

    public static func notFound(_ detail: String = "There is nothing at this address.") -> APIError {
        APIError(.notFound, code: "not-found", title: "Not found", detail: detail)
    }

    public static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).sorted().joined(separator: ", ")
        var headers = HTTPFields()
        headers[.allow] = list
        return APIError(.methodNotAllowed, code: "method-not-allowed", title: "Method not allowed", detail: "This address accepts \(list).", headers: headers)
    }

    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "payload-too-large", title: "The request body is too large", detail: "The limit is \(limit) bytes.")
    }

    public static func unsupportedMediaType(_ got: String?) -> APIError {
        APIError(.unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported media type",
                 detail: "Send the body as application/json\(got.map { " (got \($0))" } ?? "").")
    }

    public static func validation(_ errors: [FieldError]) -> APIError {
        let detail = errors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        return APIError(.unprocessableContent, code: "validation-failed", title: "The request is not valid", detail: detail, errors: errors)
    }

    public static func validation(field: String, _ message: String) -> APIError {
        validation([FieldError(field: field, message: message)])
    }

    public static func tooManyRequests(retryAfterSeconds: Int) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return APIError(.tooManyRequests, code: "rate-limited", title: "Too many requests",
                        detail: "Try again in \(retryAfterSeconds) seconds.", headers: headers)
    }

    public static let internalError = APIError(.internalServerError, code: "internal-error", title: "Internal server error",
                                               detail: "Something went wrong on our side; the request id identifies it in the logs.")

    public static func unavailable(_ detail: String) -> APIError {
        APIError(.serviceUnavailable, code: "unavailable", title: "Service unavailable", detail: detail)
    }
}

extension APIError {
    public static func unauthenticated(_ detail: String) -> APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer"
        return APIError(.unauthorized, code: "unauthenticated", title: "Authentication required", detail: detail, headers: headers)
    }
}

import Admin
import Auth
import Foundation
import Hummingbird
import Realtime
import Tenancy

/// The one place where errors become HTTP answers: every error leaves as
/// `application/problem+json` (RFC 9457) with a stable `code`. Unexpected errors are logged
/// with the request id and answered as a bare 500: no SQL, no stack trace, no internals.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext
    /// Used to tell 405 (the path exists with other methods) from 404.
    let routes: RouteTableReference

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as CrossOriginError {
            var response = Self.response(for: problem(for: error.underlying, request: request, context: context),
                                         path: request.uri.path, requestID: context.requestID)
            AttachmentsController.allowCORS(&response.headers, origin: error.origin)
            return response
        } catch {
            let problem = problem(for: error, request: request, context: context)
            return Self.response(for: problem, path: request.uri.path, requestID: context.requestID)
        }
    }

    private func problem(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as TenantError:
            switch error {
            case .notFound: return .notFound(error.description)
            case .slugTaken: return APIError(.conflict, code: "conflict", title: "Already exists", detail: error.description)
            case .invalidSlug: return .validation(field: "slug", error.description)
            case .invalidName: return .validation(field: "name", error.description)
            }
        case let error as AccountError:
            switch error {
            case .invalidCredentials:
                return APIError(.unauthorized, code: "invalid-credentials", title: "Sign-in failed", detail: error.description)
            case .accountDisabled:
                return APIError(.forbidden, code: "account-disabled", title: "Account disabled", detail: error.description)
            case .emailTaken:
                return APIError(.conflict, code: "conflict", title: "Already exists", detail: error.description)
            case .invalidEmail:
                return .validation(field: "email", error.description)
            case .weakPassword(let violation):
                return .validation(field: "password", violation.description)
            case .secondFactorRequired:
                return APIError(.unauthorized, code: "two-factor-required", title: "Two-factor code required", detail: error.description)
            case .secondFactorInvalid:
                return APIError(.unauthorized, code: "two-factor-invalid", title: "Two-factor code rejected", detail: error.description)
            }
        case let error as InvalidFields:
            return .validation(error.fields.map { APIError.FieldError(field: $0.name, message: $0.message) })
        case let error as AdministrationError:
            return Self.problem(for: error)
        case DatabaseError.deadlineExceeded, DatabaseError.connectionLost:
            // The transaction ran past its deadline or lost its connection: the client may retry.
            return .unavailable("The database did not answer in time. Try again.")
        case let error as RealtimeError:
            return Self.problem(for: error)
        case let error as LoginThrottle.Throttled:
            return .tooManyRequests(retryAfterSeconds: error.retryAfterSeconds)
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound:
                let allowed = routes.get()?.methods(forPath: request.uri.path) ?? []
                return allowed.isEmpty ? .notFound() : .methodNotAllowed(allowed: allowed)
            case .contentTooLarge:
                return APIError(.contentTooLarge, code: "payload-too-large", title: "The request body is too large")
            case .badRequest:
                return .badRequest("The request could not be understood.")
            case .unsupportedMediaType:
                return .unsupportedMediaType(request.headers[.contentType])
            case .tooManyRequests:
                return .tooManyRequests(retryAfterSeconds: 1)
            default:
                if error.status.code >= 500 { break }
                return APIError(error.status, code: "http-\(error.status.code)", title: error.status.reasonPhrase)
            }
        default:
            break
        }
        context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
        return .internalError
    }

    static func problem(for error: AdministrationError) -> APIError {
        let detail = error.description
        switch error {
        case .notFound: return .notFound(detail)
        case .permissionEscalation: return APIError(.forbidden, code: "permission-escalation", title: "Cannot grant permissions you lack", detail: detail)
        case .ownerRequired: return APIError(.forbidden, code: "owner-required", title: "Only owners can do this", detail: detail)
        case .lastOwner: return APIError(.conflict, code: "last-owner", title: "The last owner must stay", detail: detail)
        case .builtinRole: return APIError(.conflict, code: "builtin-role", title: "Built-in roles are fixed", detail: detail)
        case .roleInUse: return APIError(.conflict, code: "role-in-use", title: "The role is in use", detail: detail)
        case .nameTaken: return APIError(.conflict, code: "conflict", title: "Already exists", detail: detail)
        case .enrolTwoFactorFirst: return APIError(.conflict, code: "enrol-two-factor-first", title: "Enable two-factor authentication first", detail: detail)
        case .twoFactorRequired: return APIError(.conflict, code: "two-factor-required-by-tenant", title: "Two-factor authentication is required", detail: detail)
        case .twoFactorState: return APIError(.conflict, code: "two-factor-state", title: "Not possible in the current two-factor state", detail: detail)
        }
    }

    static func problem(for error: RealtimeError) -> APIError {
        let detail = error.message
        switch error {
        case .conversationNotFound, .visitorNotFound, .agentNotFound, .teamNotFound, .attachmentNotFound, .widgetNotFound, .wordRuleNotFound, .wordFlagNotFound, .botProviderNotFound,
             .knowledgeNotFound, .cannedReplyNotFound:
            return .notFound(detail)
        case .forbidden: return APIError(.forbidden, code: "permission-denied", title: "Permission denied", detail: detail)
        case .invalid: return APIError(.unprocessableContent, code: "validation-failed", title: "Invalid request", detail: detail)
        case .conflict: return APIError(.conflict, code: "conflict", title: "Not possible in the current state", detail: detail)
        case .tooLarge: return APIError(.contentTooLarge, code: "too-large", title: "Too large", detail: detail)
        case .unsupportedType: return APIError(.unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported file type", detail: detail)
        case .rateLimited: return .tooManyRequests(retryAfterSeconds: 1)
        case .shuttingDown, .overloaded, .unavailable: return .unavailable(detail)
        case .contentBlocked(let category):
            var problem = APIError(.unprocessableContent, code: "content-blocked", title: "The message was not sent", detail: detail)
            problem.category = category
            return problem
        }
    }

    /// The router's answer for `problem`, rendered by `ProblemDocument` (as refused socket
    /// upgrades are).
    static func response(for problem: APIError, path: String, requestID: String) -> Response {
        let document = ProblemDocument(problem, path: path, requestID: requestID)
        return Response(status: document.status, headers: document.headers, body: .init(byteBuffer: document.body))
    }
}

import Admin
import HTTPTypes
import Hummingbird

/// Gives every request an id: the caller's `X-Request-Id` when it is a sane token, else a new
/// random one. It goes back in the response header and onto every log line of the request.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = Self.requestID(from: request.headers[.requestID])
        context.requestID = requestID
        context.logger[metadataKey: "request_id"] = .string(requestID)
        context.logger[metadataKey: "hb.request.id"] = nil
        var response = try await next(request, context)
        response.headers[.requestID] = requestID
        return response
    }

    /// The id of a request that sent `candidate` as its `X-Request-Id` (or none); also used for
    /// refused socket upgrades, which never reach the router.
    static func requestID(from candidate: String?) -> String {
        candidate.flatMap(acceptable) ?? generate()
    }

    static func acceptable(_ candidate: String) -> String? {
        guard (1...64).contains(candidate.utf8.count),
              candidate.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else { return nil }
        return candidate
    }

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = (UInt64.random(in: .min ... .max, using: &generator), UInt64.random(in: .min ... .max, using: &generator))
        return String(value.0, radix: 16).leftPadded(to: 16) + String(value.1, radix: 16).leftPadded(to: 16)
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

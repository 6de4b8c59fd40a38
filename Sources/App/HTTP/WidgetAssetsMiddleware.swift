import Admin
import HTTPTypes
import Hummingbird

/// The widget's files are loaded by pages of other origins: `widget.js` as a classic script,
/// and the panel's ES modules and styles through `import()` and `<link>` from inside its shadow
/// root, which browsers fetch in CORS mode. They are public code, so any origin may read them.
struct WidgetAssetsMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext

    static func isWidgetAsset(_ path: String) -> Bool {
        path == "/widget.js" || path.hasPrefix("/widget/") || path.hasPrefix("/shared/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if Self.isWidgetAsset(request.uri.path) {
            response.headers[.accessControlAllowOrigin] = "*"
            response.headers[.crossOriginResourcePolicy] = "cross-origin"
        }
        return response
    }
}

extension HTTPField.Name {
    static let crossOriginResourcePolicy = HTTPField.Name("Cross-Origin-Resource-Policy")!
}

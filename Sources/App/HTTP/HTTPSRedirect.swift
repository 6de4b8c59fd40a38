import Hummingbird
import Logging

/// The optional plain-HTTP listener (`KEFU_TLS_REDIRECT_PORT`) that sends every request to the
/// same path over HTTPS with a permanent redirect.
enum HTTPSRedirect {
    static func application(host: String, port: Int, httpsPort: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.on("**", method: .get, use: redirect(httpsPort))
        router.on("**", method: .head, use: redirect(httpsPort))
        router.get("/", use: redirect(httpsPort))
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Kefu"), logger: logger)
    }

    static func redirect(_ httpsPort: Int) -> @Sendable (Request, BasicRequestContext) async throws -> Response {
        { request, _ in
            let authority = request.head.authority ?? "localhost"
            let hostName = authority.hasPrefix("[")
                ? String(authority.prefix { $0 != "]" }) + "]"
                : String(authority.split(separator: ":").first ?? "localhost")
            let suffix = httpsPort == 443 ? "" : ":\(httpsPort)"
            return Response(status: .permanentRedirect, headers: [.location: "https://\(hostName)\(suffix)\(request.uri.description)"])
        }
    }
}

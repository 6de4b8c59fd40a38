import Hummingbird
import Logging

/// The optional plain-HTTP listener (`KEFU_TLS_REDIRECT_PORT`) that sends every request to the
/// same path over HTTPS with a permanent redirect.
enum HTTPSRedirect {
    /// Redirects to the port `https` is bound to (known only once bound when `KEFU_PORT=0`), and
    /// logs its own address once bound: `redirecting to HTTPS from http://HOST:PORT`.
    static func application(host: String, port: Int, https: ListeningAddress, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.on("**", method: .get, use: redirect(https))
        router.on("**", method: .head, use: redirect(https))
        router.get("/", use: redirect(https))
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Kefu"),
            onServerRunning: { channel in
                let bound = ListeningAddress(scheme: "http", host: host, port: channel.localAddress?.port ?? port)
                logger.info("redirecting to HTTPS from \(bound.url)")
            },
            logger: logger)
    }

    static func redirect(_ https: ListeningAddress) -> @Sendable (Request, BasicRequestContext) async throws -> Response {
        { request, _ in
            let authority = request.head.authority ?? "localhost"
            let hostName = authority.hasPrefix("[")
                ? String(authority.prefix { $0 != "]" }) + "]"
                : String(authority.split(separator: ":").first ?? "localhost")
            let httpsPort = https.port
            let suffix = httpsPort == 443 ? "" : ":\(httpsPort)"
            return Response(status: .permanentRedirect, headers: [.location: "https://\(hostName)\(suffix)\(request.uri.description)"])
        }
    }
}

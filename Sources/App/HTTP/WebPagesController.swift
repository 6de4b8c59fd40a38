import Admin
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Realtime

/// The pages people open, beyond plain static files: `/chat/{widgetKey}` (the chat as a full
/// page, for phones, in-app browsers and links), `/demo` (a sample shop embedding the demo
/// tenant's widget) and `/app` (the agent workspace, at `/app/`).
struct WebPagesController: Sendable {
    let publicDirectory: URL
    let widgets: WidgetFront
    /// The tenant whose first widget the demo page embeds.
    let demoTenantSlug: String

    func addRoutes(to router: Router<KefuRequestContext>) {
        // The router matches `/app` and `/app/` alike: redirect the first, serve the second.
        router.get("app") { request, _ in
            guard request.uri.path == "/app/" else { return Response.redirect(to: "/app/", type: .permanent) }
            return try await page("app/index.html", status: .ok)
        }
        router.get("chat/{key}", use: chat)
        router.get("demo", use: demo)
    }

    /// The chat page for any widget key; an unknown key gets the same page (which then says so)
    /// with status 404, so links to a deleted widget are reported as broken.
    @Sendable func chat(request: Request, context: KefuRequestContext) async throws -> Response {
        let key = context.parameters.get("key") ?? ""
        // The page's own files (`/chat/chat.js`) share this path: a 404 thrown here lets the
        // file middleware serve them.
        guard key.hasPrefix("kfw_") else { throw HTTPError(.notFound) }
        return try await page("chat/index.html", status: try await widgets.exists(publicKey: key) ? .ok : .notFound)
    }

    /// The demo shop. Opened as `localhost:PORT` it takes the widget from `127.0.0.1:PORT`, another
    /// origin to the browser (the demo widget allows both): the way a customer's site embeds it,
    /// tried on one machine. Any other host name embeds it from the page's own origin.
    @Sendable func demo(request: Request, context: KefuRequestContext) async throws -> Response {
        guard let key = try await widgets.firstWidgetKey(tenantSlug: demoTenantSlug) else {
            throw APIError.notFound("The demo needs the demo tenant and its widget (KEFU_SEED_DEMO on a fresh installation).")
        }
        let widgetOrigin = Self.otherLoopbackOrigin(host: request.head.authority, https: context.arrivedOverHTTPS)
        var response = try await page("demo/page.html", status: .ok) {
            $0.replacingOccurrences(of: "{{WIDGET_KEY}}", with: key).replacingOccurrences(of: "{{WIDGET_ORIGIN}}", with: widgetOrigin ?? "")
        }
        if let widgetOrigin {
            // The page's own policy, widened to the widget's origin for its script, styles,
            // pictures and socket (a route's own header survives the security middleware).
            response.headers[.contentSecurityPolicy] = SecurityHeadersMiddleware.contentSecurityPolicy
                .replacingOccurrences(of: "script-src 'self'", with: "script-src 'self' \(widgetOrigin)")
                .replacingOccurrences(of: "style-src 'self'", with: "style-src 'self' \(widgetOrigin)")
                .replacingOccurrences(of: "img-src 'self'", with: "img-src 'self' \(widgetOrigin)")
                .replacingOccurrences(of: "connect-src 'self'", with: "connect-src 'self' \(widgetOrigin)")
        }
        return response
    }

    /// `http://127.0.0.1:PORT` for a request to `localhost:PORT`; nil for any other host.
    static func otherLoopbackOrigin(host: String?, https: Bool) -> String? {
        guard let host, host.hasPrefix("localhost:"), let port = Int(host.dropFirst("localhost:".count)), (1...65535).contains(port) else {
            return nil
        }
        return "\(https ? "https" : "http")://127.0.0.1:\(port)"
    }

    /// A page from `Public/`, read off the event loop (files may change while kefu runs).
    private func page(_ path: String, status: HTTPResponse.Status, fill: @Sendable (String) -> String = { $0 }) async throws -> Response {
        let url = publicDirectory.appendingPathComponent(path)
        let html = try await NIOThreadPool.singleton.runIfActive { try String(contentsOf: url, encoding: .utf8) }
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: fill(html))))
    }
}

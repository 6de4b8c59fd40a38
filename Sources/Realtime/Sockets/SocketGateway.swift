import Auth
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Tenancy

/// The door to `/ws/visitor` and `/ws/agent`: decides whether an upgrade request may become a
/// socket (widget key and Origin for visitors; session cookie or API token for agents), and
/// turns an upgraded channel into a `LiveSocket` with its session.
public struct SocketGateway: Sendable {
    public enum Admission: Sendable {
        case visitor(tenantID: UUID, widget: Widget)
        /// `presence`: what the agent is on connecting (`?presence=away|offline`; `online` by
        /// default), so a reload does not offer an away agent the queue before they say so again.
        case agent(Principal, presence: AgentPresence)
        case refused(status: HTTPResponseStatus, code: String, detail: String)
    }

    public struct Limits: Sendable {
        /// The largest frame (after reassembly) a client may send; larger ones close the socket.
        public var maximumFrameBytes: Int
        public init(maximumFrameBytes: Int = 64 * 1024) {
            self.maximumFrameBytes = maximumFrameBytes
        }
    }

    public static let visitorPath = "/ws/visitor"
    public static let agentPath = "/ws/agent"

    let hub: Hub
    let writer: MessageWriter
    let conversations: ConversationService
    /// Answers conversations the bot holds.
    let bot: BotResponder?
    let authenticator: Authenticator
    /// Opens widgets' identity secrets, which visitors' identity proofs are checked against.
    let secrets: SecretBox
    public let limits: Limits
    let logger: Logger

    public init(hub: Hub, writer: MessageWriter, conversations: ConversationService, bot: BotResponder?, authenticator: Authenticator,
                secrets: SecretBox, limits: Limits = Limits(), logger: Logger) {
        self.hub = hub
        self.writer = writer
        self.conversations = conversations
        self.bot = bot
        self.authenticator = authenticator
        self.secrets = secrets
        self.limits = limits
        self.logger = logger
    }

    public static func handles(path: String) -> Bool {
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        return route == visitorPath || route == agentPath
    }

    /// Whether the upgrade request `uri` with `headers` may open a socket, and as whom.
    public func admit(uri: String, headers: HTTPHeaders) async -> Admission {
        let path = String(uri.prefix { $0 != "?" })
        let query = FormQuery(uri: uri)
        do {
            switch path {
            case Self.visitorPath:
                return try await admitVisitor(key: query["key"], origin: headers.first(name: "origin"), host: headers.first(name: "host"))
            case Self.agentPath:
                guard let presence = AgentPresence(rawValue: query["presence"] ?? "online") else {
                    return .refused(status: .badRequest, code: "bad-request", detail: "presence is online, away or offline.")
                }
                return try await admitAgent(headers: headers, presence: presence)
            default: return .refused(status: .notFound, code: "not-found", detail: "No socket at \(path.prefix(100)).")
            }
        } catch {
            logger.error("socket admission failed", metadata: ["error": "\(String(reflecting: error))"])
            return .refused(status: .serviceUnavailable, code: "unavailable", detail: "Try again shortly.")
        }
    }

    private func admitVisitor(key: String?, origin: String?, host: String?) async throws -> Admission {
        guard let key, let (tenantID, widget) = try await VisitorDirectory(database: hub.database).widget(publicKey: key, secrets: secrets) else {
            return .refused(status: .notFound, code: "widget-not-found", detail: "Connect with ?key= set to a widget's public key.")
        }
        let allowed = widget.allowedOrigins.map(WidgetValidation.normalizedOrigin)
        // The server's own pages (the chat page `/chat/{key}`) are always allowed.
        guard allowed.contains("*") || origin.map({ allowed.contains(WidgetValidation.normalizedOrigin($0)) }) == true
              || OwnOrigin.matches(origin: origin, host: host) else {
            return .refused(status: .forbidden, code: "origin-not-allowed",
                            detail: "This widget does not allow pages from \(origin.map { String($0.prefix(100)) } ?? "an unknown origin").")
        }
        return .visitor(tenantID: tenantID, widget: widget)
    }

    private func admitAgent(headers: HTTPHeaders, presence: AgentPresence) async throws -> Admission {
        let principal: Principal?
        if let authorization = headers.first(name: "authorization") {
            guard authorization.lowercased().hasPrefix("bearer ") else {
                return .refused(status: .unauthorized, code: "unauthenticated", detail: "Use Authorization: Bearer <token>.")
            }
            principal = try await authenticator.authenticate(bearer: String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        } else if let cookie = SessionCookieName.sessionNames.lazy.compactMap({ Self.cookie($0, in: headers) }).first {
            // A cookie goes with any page's request: accept it only from this server's own pages,
            // so another site cannot open an agent socket in a signed-in browser.
            guard OwnOrigin.matches(origin: headers.first(name: "origin"), host: headers.first(name: "host")) else {
                return .refused(status: .forbidden, code: "origin-not-allowed", detail: "Agent sockets opened with a cookie must come from this server's pages.")
            }
            principal = try await authenticator.sessions.authenticate(cookie)
        } else {
            principal = nil
        }
        guard let principal else {
            return .refused(status: .unauthorized, code: "unauthenticated", detail: "Sign in, or send an API token as Authorization: Bearer <token>.")
        }
        guard principal.has(.conversationsRead) || principal.has(.conversationsReply) else {
            return .refused(status: .forbidden, code: "permission-denied", detail: "The agent socket needs conversations.read or conversations.reply.")
        }
        return .agent(principal, presence: presence)
    }

    /// Installs the socket's handlers on an upgraded channel (on its event loop). `clientIP` is
    /// the client's address as the server resolved it (a trusted proxy's forwarded one, or the peer).
    public func attach(_ admission: Admission, to channel: any Channel, clientIP: String, userAgent: String, origin: String?) throws {
        let connection = ConnectionOrigin(ip: clientIP, userAgent: userAgent, origin: origin)
        let socket: LiveSocket
        switch admission {
        case .visitor(let tenantID, let widget):
            socket = LiveSocket(id: hub.nextSocketID(), role: .visitor(tenantID: tenantID, widgetID: widget.id), channel: channel, origin: connection,
                                flusher: hub.flushers.flusher(for: channel.eventLoop))
            socket.attach(VisitorSession(tenantID: tenantID, widget: widget, directory: VisitorDirectory(database: hub.database),
                                         conversations: conversations, writer: writer, hub: hub, bot: bot))
        case .agent(let principal, let presence):
            socket = LiveSocket(id: hub.nextSocketID(), role: .agent(principal), channel: channel, origin: connection,
                                flusher: hub.flushers.flusher(for: channel.eventLoop))
            let session = AgentSession(principal: principal, conversations: conversations, writer: writer, hub: hub,
                                       presence: PresenceStore(database: hub.database), initialPresence: presence)
            socket.attach(session)
            let logger = self.logger
            let welcoming = hub.background.spawn {
                do { try await session.welcome(on: socket) } catch {
                    logger.warning("agent welcome failed", metadata: ["error": "\(error)"])
                    socket.close(code: .unexpectedServerError, reason: "try again")
                }
            }
            // The node is stopping: the agent goes to another one.
            if !welcoming { socket.quiesce() }
        case .refused:
            throw RealtimeError.forbidden("refused")
        }
        channel.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 256 * 1024)).whenFailure { _ in }
        try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: limits.maximumFrameBytes))
        try channel.pipeline.syncOperations.addHandler(SocketHandler(socket: socket, hub: hub))
    }

    static func cookie(_ name: String, in headers: HTTPHeaders) -> String? {
        for header in headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }
}

import Admin
import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Realtime

/// The server's child channel: HTTP/1.1 for Hummingbird's router, and WebSocket upgrades for
/// `/ws/visitor` and `/ws/agent` handed to NIO channel handlers (`SocketGateway`), with no task
/// or async channel per socket — an idle socket costs only its pipeline and a small object.
///
/// An upgraded channel's `handle` returns at once; the server still tracks the channel and
/// asks it to quiesce on shutdown, which the socket answers with a `reconnect` frame.
///
/// Before the gateway looks at an upgrade (and so before any database work), the client's
/// address is resolved and the upgrade rate limit applied to it.
struct RealtimeServerChannel: ServerChildChannel, HTTPChannelHandler {
    enum Outcome: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade answered with a problem document instead of a socket.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, ProblemDocument)
        case socket
    }

    /// What `shouldUpgrade` decided, for the handler that runs after it.
    enum Decision: Sendable {
        case admitted(SocketGateway.Admission, clientIP: String)
        case refused(ProblemDocument)
    }

    /// The checks an upgrade passes before the gateway's: who the client is, and whether they
    /// opened too many sockets lately (`KEFU_WS_UPGRADE_RATE_LIMIT`; no limiter when it is 0).
    struct UpgradeGuard: Sendable {
        let clientAddresses: ClientAddressResolver
        let limiter: RateLimiter?
    }

    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let gateway: SocketGateway
    let upgradeGuard: UpgradeGuard
    let configuration: HTTP1Channel.Configuration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let admission = NIOLoopBoundBox<Decision?>(nil, eventLoop: channel.eventLoop)
            let gateway = self.gateway
            let upgradeGuard = self.upgradeGuard
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: gateway.limits.maximumFrameBytes,
                shouldUpgrade: { channel, head in
                    let client = upgradeGuard.clientAddresses.resolve(peer: channel.remoteAddress) { head.headers[$0.rawValue] }
                    // Rendered as the router renders its errors: the same id rules and `instance`.
                    let requestID = RequestIDMiddleware.requestID(from: head.headers.first(name: "X-Request-Id"))
                    let path = String(head.uri.prefix { $0 != "?" })
                    if let retryAfter = upgradeGuard.limiter?.acquire(IPAddress.rateLimitKey(client.ip)) {
                        var problem = APIError.tooManyRequests(retryAfterSeconds: retryAfter)
                        problem.detail = "Too many connections from this address; try again in \(retryAfter) seconds."
                        admission.value = .refused(ProblemDocument(problem, path: path, requestID: requestID))
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    let promise = channel.eventLoop.makePromise(of: SocketGateway.Admission.self)
                    promise.completeWithTask { await gateway.admit(uri: head.uri, headers: head.headers) }
                    return promise.futureResult.map { decision -> HTTPHeaders? in
                        if case .refused(let status, let code, let detail) = decision {
                            let problem = APIError(
                                HTTPResponse.Status(code: Int(status.code), reasonPhrase: status.reasonPhrase),
                                code: code, title: status.reasonPhrase, detail: detail)
                            admission.value = .refused(ProblemDocument(problem, path: path, requestID: requestID))
                            return nil
                        }
                        admission.value = .admitted(decision, clientIP: client.ip)
                        return HTTPHeaders()
                    }
                },
                upgradePipelineHandler: { channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .admitted(let decision, let clientIP)? = admission.value else { throw ChannelError.inappropriateOperationForState }
                        try gateway.attach(decision, to: channel, clientIP: clientIP, userAgent: head.headers.first(name: "user-agent") ?? "",
                                           origin: head.headers.first(name: "origin"))
                        return Outcome.socket
                    }
                })
            let upgrades = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(self.configuration.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: self.configuration.idleTimeout.map { .init($0) }, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        if case .refused(let problem)? = admission.value {
                            return Outcome.refused(http, problem)
                        }
                        return Outcome.http(http)
                    }
                })
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrades)
            pipeline.enablePipelining = false
            pipeline.enableErrorHandling = false
            pipeline.enableResponseHeaderValidation = false
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            return Value(outcome: outcome, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let problem):
                await refuse(http, problem)
            case .socket:
                return
            }
        } catch {
            logger.debug("connection ended before its first request", metadata: ["error": "\(error)"])
        }
    }

    /// A refused upgrade gets the problem document every other error gets, then the
    /// connection closes.
    private func refuse(_ http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, _ problem: ProblemDocument) async {
        try? await http.executeThenClose { _, outbound in
            var head = HTTPResponse(status: problem.status, headerFields: problem.headers)
            head.headerFields[.contentLength] = String(problem.body.readableBytes)
            head.headerFields[.connection] = "close"
            try await outbound.write(contentsOf: [.head(head), .body(problem.body), .end(nil)])
        }
    }
}

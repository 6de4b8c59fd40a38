import Auth
import Foundation
import Logging
import ServiceLifecycle
import Tenancy

/// The realtime parts of one node, created together: its hub, writer, conversation service
/// and socket gateway, and the services (writer, fan-out listener, sweeper) to run.
public struct RealtimeServices: Sendable {
    /// Distinguishes this process in NOTIFY payloads, so it skips its own announcements.
    public let nodeID: String
    public let hub: Hub
    public let writer: MessageWriter
    public let conversations: ConversationService
    public let gateway: SocketGateway

    public init(database: Database, authenticator: Authenticator, secrets: SecretBox, logger: Logger,
                writerLimits: MessageWriter.Limits = .init(), socketLimits: SocketGateway.Limits = .init()) {
        let nodeID = String(UUID().uuidString.lowercased().prefix(8))
        let hub = Hub(database: database, nodeID: nodeID, logger: logger)
        let writer = MessageWriter(database: database, nodeID: nodeID, limits: writerLimits, logger: logger) { [hub] messages in
            hub.deliver(messages)
        }
        let conversations = ConversationService(database: database, hub: hub, writer: writer, nodeID: nodeID)
        self.nodeID = nodeID
        self.hub = hub
        self.writer = writer
        self.conversations = conversations
        self.gateway = SocketGateway(hub: hub, writer: writer, conversations: conversations, authenticator: authenticator, secrets: secrets,
                                     limits: socketLimits, logger: logger)
    }

    /// The services a serving node runs; add them after the database pool, so they stop first
    /// (the writer flushes before the pool closes).
    public func services(logger: Logger) -> [any Service] {
        [
            FanoutListener(database: hub.database, hub: hub, conversations: conversations, nodeID: nodeID, logger: logger),
            SocketSweeper(hub: hub, conversations: conversations, logger: logger),
            writer,
        ]
    }
}

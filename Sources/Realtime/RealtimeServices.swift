import Auth
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Tenancy

/// The realtime parts of one node, created together: its hub, writer, conversation service,
/// sensitive-word matchers and socket gateway, and the services (background work, frame watchdog, fan-out listener,
/// sweeper, writer, gateway) to run.
public struct RealtimeServices: Sendable {
    /// Distinguishes this process in NOTIFY payloads, so it skips its own announcements.
    public let nodeID: String
    /// Owns every task Realtime starts without waiting for it (see `BackgroundWork`).
    public let background: BackgroundWork
    public let hub: Hub
    public let writer: MessageWriter
    /// How far behind this node's threads run (admission and /metrics).
    public let load: LoopLagGauge
    public let conversations: ConversationService
    public let gateway: SocketGateway
    /// Each tenant's sensitive-word matcher, kept current by the fan-out listener.
    public let words: WordMatchers
    /// Streams LLM providers' answers (its own HTTP clients).
    public let streamer: ChatStreamer
    /// Answers the conversations the bot holds.
    public let bot: BotResponder
    /// Searches the tenants' knowledge, with embeddings where a tenant has them.
    public let retriever: KnowledgeRetriever
    /// Keeps the tenants' knowledge embedded.
    public let embedder: KnowledgeEmbedder

    public init(database: Database, authenticator: Authenticator, secrets: SecretBox, logger: Logger,
                writerLimits: MessageWriter.Limits = .init(), socketLimits: SocketGateway.Limits = .init(),
                maximumLoopLag: Duration? = nil) {
        let nodeID = String(UUID().uuidString.lowercased().prefix(8))
        let background = BackgroundWork()
        let hub = Hub(database: database, nodeID: nodeID, background: background, logger: logger)
        let load = LoopLagGauge(maximumLag: maximumLoopLag)
        self.load = load
        let writer = MessageWriter(database: database, nodeID: nodeID, limits: writerLimits, load: load, logger: logger) { [hub] messages in
            hub.deliver(messages)
        }
        let words = WordMatchers(database: database, logger: logger)
        // The fold tables take a tenth of a second to build: at start, not in a first message.
        background.spawn { _ = try? await NIOThreadPool.singleton.runIfActive { WordNormalizer.standard } }
        let pipeline = MessagePipeline(handlers: [SensitiveWordsHandler(matchers: words)], logger: logger)
        let conversations = ConversationService(database: database, hub: hub, writer: writer, nodeID: nodeID, background: background,
                                                pipeline: pipeline)
        self.words = words
        self.nodeID = nodeID
        self.background = background
        self.hub = hub
        self.writer = writer
        self.conversations = conversations
        let streamer = ChatStreamer(logger: logger)
        let embedder = KnowledgeEmbedder(database: database, secrets: secrets, streamer: streamer, logger: logger)
        let retriever = KnowledgeRetriever(database: database, secrets: secrets, streamer: streamer,
                                           onStaleVectors: { embedder.kick($0) }, logger: logger)
        let bot = BotResponder(database: database, hub: hub, writer: writer, conversations: conversations,
                               providers: BotProviderStore(database: database, secrets: secrets), knowledge: retriever,
                               streamer: streamer, words: words, logger: logger)
        self.retriever = retriever
        self.embedder = embedder
        self.streamer = streamer
        self.bot = bot
        self.gateway = SocketGateway(hub: hub, writer: writer, conversations: conversations, bot: bot, authenticator: authenticator,
                                     secrets: secrets, limits: socketLimits, logger: logger)
    }

    /// The services a serving node runs; add them after the database pool and before the HTTP
    /// server. A service group stops its services in reverse order, so these stop after the server
    /// has stopped accepting and before the pool, in this order:
    ///
    /// 0. the knowledge embedder stops (a batch half done is embedded again later), then the bot's
    ///    HTTP clients close (answers still streaming fail and hand over to people);
    /// 1. the gateway waits until every socket here has closed (the server asked them to);
    /// 2. the writer commits what is queued (later sends are refused with `shutting-down`);
    /// 3. the sweeper, the fan-out listener, the frame watchdog, then the lag gauge, stop;
    /// 4. the background work, last: everything that spawns jobs (sockets, writer completions, the
    ///    sweeper, the listener) has stopped, so it only waits for the jobs it has — the writer's
    ///    last completions and the sockets' closes included — while the pool is still open.
    public func services(logger: Logger) -> [any Service] {
        [
            background,
            load,
            hub.watchdog,
            FanoutListener(database: hub.database, hub: hub, conversations: conversations, words: words, nodeID: nodeID,
                           background: background, logger: logger),
            SocketSweeper(hub: hub, conversations: conversations, logger: logger),
            writer,
            gateway,
            streamer,
            embedder,
        ]
    }
}

import Auth
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Tenancy

/// This node's sockets and what each follows, and delivery to them: committed messages in
/// `seq` order with no gaps (a socket that would see a gap reads the missing messages from
/// the table first), conversation changes, typing and read receipts, queue positions.
///
/// Messages committed here arrive from the writer; those committed on other nodes are
/// announced by `FanoutListener` (ids only) and read from the table.
public final class Hub: Sendable {
    struct Registry {
        var sockets: [UInt64: LiveSocket] = [:]
        var followers: [UUID: [UInt64: LiveSocket]] = [:]
        var agents: [UUID: [UInt64: LiveSocket]] = [:]
        var visitors: [UUID: [UInt64: LiveSocket]] = [:]
    }

    let database: Database
    let logger: Logger
    /// Names this node in NOTIFY payloads, so it skips its own.
    let nodeID: String
    /// Runs what the hub starts and does not wait for: catch-ups, relays, queue pushes.
    let background: BackgroundWork
    let registry = Mutex(Registry())
    private let lastSocketID = Atomic<UInt64>(0)
    /// Per event loop, what writes the sockets' queued frames (see `OutboundFlusher`).
    let flushers = OutboundFlushers()
    /// Expires socket frames past `SocketLimits.frameDeadline` (see `LiveSocket.abandon`); run
    /// by `RealtimeServices`. A frame costs a watch, not a timer.
    let watchdog = Watchdog(tick: .milliseconds(250))
    /// Whether agents are online for a widget, as visitor welcomes tell it (a few seconds stale).
    let agentsOnline = AgentsOnlineCache()
    /// The bot answers being written here: stopped when their conversation leaves the bot.
    let botStreams = BotStreams()
    /// Who would hear a relayed bot answer (see `announceAlive`).
    let otherNodes = OtherNodes()
    /// Positions other nodes announced and not yet read, per tenant and conversation, and
    /// whether a reader is at work on them (see `announce`).
    private let announcements = Mutex((pending: [UUID: [UUID: Int64]](), reading: false))
    /// Tenants whose queue positions are due to be pushed (coalesced, see `queueMoved`).
    private let queueRefreshes = Mutex(Set<UUID>())

    public init(database: Database, nodeID: String = String(UUID().uuidString.lowercased().prefix(8)), background: BackgroundWork, logger: Logger) {
        self.database = database
        self.nodeID = nodeID
        self.background = background
        self.logger = logger
    }

    func nextSocketID() -> UInt64 {
        lastSocketID.add(1, ordering: .relaxed).newValue
    }

    public var socketCount: Int { registry.withLock { $0.sockets.count } }

    func register(_ socket: LiveSocket) {
        registry.withLock { registry in
            registry.sockets[socket.id] = socket
            switch socket.role {
            case .agent(let principal): registry.agents[principal.tenantID, default: [:]][socket.id] = socket
            case .visitor(let tenantID, _): registry.visitors[tenantID, default: [:]][socket.id] = socket
            }
        }
    }

    func unregister(_ socket: LiveSocket) {
        let followed = socket.state.withLock { Array($0.cursors.keys) }
        registry.withLock { registry in
            registry.sockets[socket.id] = nil
            for conversationID in followed {
                registry.followers[conversationID]?[socket.id] = nil
                if registry.followers[conversationID]?.isEmpty == true { registry.followers[conversationID] = nil }
            }
            registry.agents[socket.tenantID]?[socket.id] = nil
            registry.visitors[socket.tenantID]?[socket.id] = nil
        }
        // An agent's last socket here closed: offline now unless another node holds one (not
        // after the heartbeat expires).
        if case .agent(let principal) = socket.role, agentSockets(tenantID: principal.tenantID, userID: principal.userID).isEmpty {
            let presence = PresenceStore(database: database)
            let (logger, nodeID) = (self.logger, self.nodeID)
            // Taken during shutdown too: the server closes every socket before the background work
            // stops, so the node lets go of its agents itself rather than leave the holds to expire.
            background.spawn {
                // A reload's new socket may have registered meanwhile: then this node still holds
                // the agent. (One that registers after this check connects after this commit,
                // behind the presence row lock.)
                guard self.agentSockets(tenantID: principal.tenantID, userID: principal.userID).isEmpty else { return }
                do { try await presence.disconnect(userID: principal.userID, tenantID: principal.tenantID, node: nodeID) } catch {
                    logger.debug("marking an agent offline failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// The sockets of `userID` (an agent) on this node.
    func agentSockets(tenantID: UUID, userID: UUID? = nil) -> [LiveSocket] {
        registry.withLock { registry in
            (registry.agents[tenantID]?.values).map { sockets in
                sockets.filter { socket in
                    guard let userID else { return true }
                    if case .agent(let principal) = socket.role { return principal.userID == userID }
                    return false
                }
            } ?? []
        }
    }

    /// Tenants with an agent connected to this node.
    func tenantsWithAgents() -> [UUID] {
        registry.withLock { registry in registry.agents.filter { !$0.value.isEmpty }.map(\.key) }
    }

    func visitorSockets(tenantID: UUID) -> [LiveSocket] {
        registry.withLock { Array($0.visitors[tenantID]?.values ?? [:].values) }
    }

    /// Delivers every message of `conversationID` after `seq` to `socket`, then what follows live.
    /// A socket already following keeps its cursor unless `resume` asks to move it (a client
    /// that resumes from its own last `seq` gets exactly what it lacks); moving it forward on
    /// anyone else's word could skip messages not yet written to it.
    func follow(_ socket: LiveSocket, conversationID: UUID, after seq: Int64, resume: Bool = false) async {
        let moved = socket.state.withLock { state in
            if state.closed || (state.cursors[conversationID] != nil && !resume) { return false }
            state.cursors[conversationID] = max(0, seq)
            return true
        }
        guard moved else { return }
        registry.withLock { $0.followers[conversationID, default: [:]][socket.id] = socket }
        // Closed meanwhile: `unregister` may have run before the line above, so undo it here.
        if socket.state.withLock({ $0.closed }) {
            unfollow(socket, conversationID: conversationID)
            return
        }
        await catchUp(socket, tenantID: socket.tenantID, conversationID: conversationID)
    }

    func unfollow(_ socket: LiveSocket, conversationID: UUID) {
        socket.unfollow(conversationID)
        registry.withLock { registry in
            registry.followers[conversationID]?[socket.id] = nil
            if registry.followers[conversationID]?.isEmpty == true { registry.followers[conversationID] = nil }
        }
    }

    func followers(of conversationID: UUID) -> [LiveSocket] {
        registry.withLock { Array($0.followers[conversationID]?.values ?? [:].values) }
    }

    /// Messages this node committed: written to local followers at once, in order.
    public func deliver(_ messages: [Message]) {
        var gaps: [UInt64: (LiveSocket, Message)] = [:]
        for message in messages {
            let sockets = followers(of: message.conversationID)
            guard !sockets.isEmpty else { continue }
            let encoded = ServerFrame.message(message).json
            for socket in sockets {
                if case .gap = offer(message, encoded: encoded, to: socket) { gaps[socket.id] = (socket, message) }
            }
        }
        for (socket, message) in gaps.values {
            background.spawn { await self.catchUp(socket, tenantID: message.tenantID, conversationID: message.conversationID) }
        }
    }

    func offer(_ message: Message, encoded: String, to socket: LiveSocket, paced: Bool = false) -> LiveSocket.Offer {
        if case .visitor = socket.role, !message.isVisibleToVisitor {
            return socket.advance(past: message)
        }
        return socket.offer(message, encoded: encoded, paced: paced)
    }

    /// Another node committed messages up to the given seqs: noted here, and read by one reader
    /// at a time, which merges every announcement that arrived meanwhile into its next query —
    /// so the reads keep up however many batches the other nodes commit (one per round trip,
    /// not one per batch), and the listener never waits for them.
    func announce(tenantID: UUID, positions: [(conversationID: UUID, lastSeq: Int64)]) {
        let start = announcements.withLock { state in
            for (conversationID, lastSeq) in positions {
                state.pending[tenantID, default: [:]][conversationID] = max(state.pending[tenantID]?[conversationID] ?? 0, lastSeq)
            }
            defer { state.reading = true }
            return !state.reading
        }
        guard start else { return }
        let reading = background.spawn {
            while true {
                let batch = self.announcements.withLock { state in
                    defer { state.pending = [:] }
                    if state.pending.isEmpty { state.reading = false }
                    return state.pending
                }
                if batch.isEmpty { return }
                for (tenantID, positions) in batch {
                    await self.announced(tenantID: tenantID, positions: positions.map { ($0.key, $0.value) })
                }
            }
        }
        // The node is stopping: no reader, and none marked as running.
        if !reading { announcements.withLock { $0 = ([:], false) } }
    }

    /// Another node committed messages up to the given seqs: read what local followers lack,
    /// for all those conversations in one query, and deliver it (gaps left fill themselves).
    func announced(tenantID: UUID, positions: [(conversationID: UUID, lastSeq: Int64)]) async {
        var wanted: [UUID: Int64] = [:]
        for (conversationID, lastSeq) in positions {
            for socket in followers(of: conversationID) {
                if let cursor = socket.cursor(conversationID), cursor < lastSeq {
                    wanted[conversationID] = min(wanted[conversationID] ?? cursor, cursor)
                }
            }
        }
        guard !wanted.isEmpty else { return }
        let limit = 5000
        do {
            let messages = try await database.withTenant(tenantID) { tx in try await MessageLog.after(wanted, limit: limit, in: tx) }
            deliver(messages)
            guard messages.count >= limit else { return }
            // Cut short: whatever followers still lack goes round again with the next read.
            let behind = positions.filter { conversationID, lastSeq in
                followers(of: conversationID).contains { ($0.cursor(conversationID) ?? lastSeq) < lastSeq }
            }
            if !behind.isEmpty { announce(tenantID: tenantID, positions: behind) }
        } catch {
            logger.warning("reading announced messages failed", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
            for conversationID in wanted.keys {
                for socket in followers(of: conversationID) {
                    background.spawn { await self.catchUp(socket, tenantID: tenantID, conversationID: conversationID) }
                }
            }
        }
    }

    /// After a listener reconnect, conversation changes announced meanwhile are lost too: make
    /// every local agent follow what is now assigned to them, and tell them its state.
    func resyncAgents() async {
        let byTenant: [UUID: Set<UUID>] = registry.withLock { registry in
            registry.agents.mapValues { sockets in
                Set(sockets.values.compactMap { socket -> UUID? in
                    if case .agent(let principal) = socket.role { return principal.userID }
                    return nil
                })
            }
        }
        for (tenantID, users) in byTenant where !users.isEmpty {
            do {
                let assigned = try await database.withTenant(tenantID) { tx in
                    try await ConversationStore.decode(try await tx.query("""
                        SELECT \(unescaped: ConversationStore.columns) FROM conversations
                        WHERE assignee_id = ANY(\(Array(users))) AND status IN ('open', 'pending', 'snoozed')
                        """), tenantID: tx.tenantID)
                }
                for conversation in assigned {
                    for socket in agentSockets(tenantID: tenantID, userID: conversation.assigneeID) where socket.cursor(conversation.id) == nil {
                        socket.remember(conversation)
                        socket.send(.conversation(conversation))
                        await follow(socket, conversationID: conversation.id, after: Self.followStart(conversation))
                    }
                }
            } catch {
                logger.warning("agent resync failed", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
            }
        }
    }

    /// Where a newly assigned agent starts following: a little history before the conversation's
    /// last seq as read, so messages committed between the assignment and that read are not
    /// skipped, and the agent sees what the visitor just said.
    static func followStart(_ conversation: Conversation) -> Int64 {
        max(0, conversation.lastSeq - 50)
    }

    /// Sends `frame` to every local follower of `conversationID` (visitors only if `visitors`).
    func broadcast(_ frame: ServerFrame, conversationID: UUID, visitors: Bool = true, except: LiveSocket? = nil) {
        let encoded = frame.json
        for socket in followers(of: conversationID) where socket !== except {
            if case .visitor = socket.role, !visitors { continue }
            socket.sendText(encoded)
        }
    }

    /// A typing indicator: to local followers now, and to other nodes' followers via NOTIFY.
    func typing(tenantID: UUID, conversationID: UUID, senderType: Message.SenderType, senderID: UUID?, typing: Bool,
                visitors: Bool, except: LiveSocket? = nil) {
        broadcast(.typing(conversationID: conversationID, senderType: senderType, senderID: senderID, typing: typing),
                  conversationID: conversationID, visitors: visitors, except: except)
        relay(FanoutEvent.typing(node: nodeID, tenantID: tenantID, conversationID: conversationID, senderType: senderType, senderID: senderID,
                                 typing: typing, toVisitors: visitors).payload)
    }

    /// A read position moved: to local followers now, and to other nodes' followers via NOTIFY.
    func read(tenantID: UUID, conversationID: UUID, side: Message.SenderType, seq: Int64) {
        broadcast(.read(conversationID: conversationID, side: side, seq: seq), conversationID: conversationID)
        relay(FanoutEvent.read(node: nodeID, tenantID: tenantID, conversationID: conversationID, side: side, seq: seq).payload)
    }

    /// Sends an ephemeral notification to the other nodes (typing, read): one NOTIFY, no table.
    private func relay(_ payload: String) {
        background.spawn { await self.notifyOtherNodes(payload) }
    }

    /// Tells the other nodes this one is listening (at each listener connect, every sweep, and in
    /// answer to a node not heard of before), so they relay bot answers to its sockets.
    func announceAlive() async {
        await notifyOtherNodes(FanoutEvent.nodeAlive(node: nodeID).payload)
    }

    /// Announces `payload` to the other nodes (one NOTIFY). What it carries is ephemeral: a
    /// failure is logged, never thrown.
    func notifyOtherNodes(_ payload: String) async {
        do {
            try await database.notify(FanoutEvent.channel, payload, deadline: .seconds(2))
        } catch {
            logger.debug("relay failed", metadata: ["error": "\(error)"])
        }
    }

    /// A conversation changed (here or on another node): tell its followers and the tenant's
    /// agents, make its assignee follow it, and refresh queue positions.
    func changed(tenantID: UUID, conversationID: UUID) async {
        let conversation: Conversation
        do {
            guard let loaded = try await database.withTenant(tenantID, { tx in try await ConversationStore.load(conversationID, in: tx) }) else { return }
            conversation = loaded
        } catch {
            logger.warning("conversation reload failed", metadata: ["conversation": "\(conversationID)", "error": "\(error)"])
            return
        }
        // Taken over (or resolved): the bot stops at once, never talking over a person.
        if conversation.status != .bot { botStreams.stop(conversationID) }
        let frame = ServerFrame.conversation(conversation).json
        var told = Set<UInt64>()
        for socket in followers(of: conversationID) {
            if case .agent(let principal) = socket.role, conversation.assigneeID != principal.userID, !principal.has(.conversationsRead) {
                // Transferred away from an agent who may only see their own conversations.
                unfollow(socket, conversationID: conversationID)
                continue
            }
            socket.state.withLock { state in
                state.snapshots[conversationID] = conversation
                if conversation.status != .queued { state.queuePosition = nil }
            }
            socket.sendText(frame)
            told.insert(socket.id)
        }
        for socket in agentSockets(tenantID: tenantID) where !told.contains(socket.id) {
            guard case .agent(let principal) = socket.role else { continue }
            let mine = conversation.assigneeID == principal.userID
            if mine || principal.has(.conversationsRead) { socket.sendText(frame) }
            if mine, Conversation.Status.holdingAgent.contains(conversation.status) {
                socket.remember(conversation)
                // Its own task: a catch-up is paced to the agent's reading, and whoever reported
                // the change (the fan-out listener, for one) must not wait for that.
                background.spawn { await self.follow(socket, conversationID: conversationID, after: Self.followStart(conversation)) }
            }
        }
        queueMoved(tenantID: tenantID)
    }

    /// The queue of `tenantID` may have moved: push positions shortly, once for any number of
    /// moves in between, so a burst of new conversations costs one refresh, not one each.
    func queueMoved(tenantID: UUID) {
        guard queueRefreshes.withLock({ $0.insert(tenantID).inserted }) else { return }
        let scheduled = background.spawn {
            try? await Task.sleep(for: .milliseconds(200))
            self.queueRefreshes.withLock { _ = $0.remove(tenantID) }
            await self.pushQueuePositions(tenantID: tenantID)
        }
        if !scheduled { queueRefreshes.withLock { _ = $0.remove(tenantID) } }
    }

    /// Tells this node's queued visitors of `tenantID` (or just `only`) where they stand, when
    /// that changed since they were last told.
    func pushQueuePositions(tenantID: UUID, only: LiveSocket? = nil) async {
        var waiting: [UUID: LiveSocket] = [:]
        for socket in only.map({ [$0] }) ?? visitorSockets(tenantID: tenantID) {
            if let conversationID = socket.state.withLock({ $0.conversationID }) { waiting[conversationID] = socket }
        }
        guard !waiting.isEmpty else { return }
        do {
            let positions = try await database.withTenant(tenantID) { tx in
                try await ConversationStore.queuePositions(Array(waiting.keys), in: tx)
            }
            for (conversationID, position) in positions {
                guard let socket = waiting[conversationID] else { continue }
                let moved = socket.state.withLock { state in
                    defer { state.queuePosition = position }
                    return state.queuePosition != position
                }
                if moved { socket.send(.queue(conversationID: conversationID, position: position)) }
            }
        } catch {
            logger.warning("queue positions failed", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
        }
    }

    /// Every socket on this node, for the sweeper and for shutdown.
    func allSockets() -> [LiveSocket] {
        registry.withLock { Array($0.sockets.values) }
    }
}

import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Tenancy

/// Listens on PostgreSQL's `kefu` channel for what other nodes committed and hands it to this
/// node's hub. Payloads carry ids only; `FanoutEvent` reads them (and documents their format).
///
/// Notifications sent while the listener is disconnected are lost, so after every (re)connect
/// it catches every followed conversation up from the table.
public struct FanoutListener: Service {
    let database: Database
    let hub: Hub
    let conversations: ConversationService
    let words: WordMatchers
    let nodeID: String
    /// Runs each (re)connect's catch-up beside the listener.
    let background: BackgroundWork
    let logger: Logger

    public init(database: Database, hub: Hub, conversations: ConversationService, words: WordMatchers, nodeID: String,
                background: BackgroundWork, logger: Logger) {
        self.database = database
        self.hub = hub
        self.conversations = conversations
        self.words = words
        self.nodeID = nodeID
        self.background = background
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown {
                    try await database.listen(on: FanoutEvent.channel) { notifications in
                        // Beside the listener: catch-ups are paced to each reader. Background work,
                        // not a child of this connection: a catch-up cut short when the connection
                        // drops would answer requests that joined it (a subscribe's replay) unserved.
                        // Rule changes announced meanwhile were missed too; rebuilt on their own,
                        // so messages' catch-ups never wait for them.
                        background.spawn { await words.allRulesMayHaveChanged() }
                        // The others learn that this node listens (and answer, so it learns of them).
                        background.spawn { await hub.announceAlive() }
                        background.spawn {
                            await hub.resyncAgents()
                            // Agents who came back while this node was deaf may have room; served
                            // before the catch-ups, which wait for slow readers.
                            for tenantID in hub.tenantsWithAgents() { await conversations.drainQueue(tenantID: tenantID) }
                            await hub.catchUpAll()
                        }
                        for try await notification in notifications {
                            await handle(notification.payload)
                        }
                    }
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.warning("fan-out listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func handle(_ payload: String) async {
        // This node's own announcements come back too: skip them before any parsing.
        guard !FanoutEvent.payload(payload, isFrom: nodeID), let event = FanoutEvent(payload: payload) else { return }
        // A node new to this one ("-" is SQL outside any node) hears of this one now, not at the
        // next sweep.
        if event.node != "-", hub.otherNodes.heard(from: event.node) {
            background.spawn { await hub.announceAlive() }
        }
        switch event {
        case .nodeAlive:
            break
        case .messagesCommitted(_, let committed):
            var announced: [UUID: [(conversationID: UUID, lastSeq: Int64)]] = [:]
            for position in committed {
                announced[position.tenantID, default: []].append((position.conversationID, position.lastSeq))
            }
            for (tenantID, positions) in announced {
                hub.announce(tenantID: tenantID, positions: positions)
            }
        case .conversationChanged(_, let tenantID, let conversationID):
            await hub.changed(tenantID: tenantID, conversationID: conversationID)
        case .typing(_, _, let conversationID, let senderType, let senderID, let typing, let toVisitors):
            hub.broadcast(.typing(conversationID: conversationID, senderType: senderType, senderID: senderID, typing: typing),
                          conversationID: conversationID, visitors: toVisitors)
        case .read(_, _, let conversationID, let side, let seq):
            hub.broadcast(.read(conversationID: conversationID, side: side, seq: seq), conversationID: conversationID)
        case .botDelta(_, _, let conversationID, let streamID, let offset, let delta):
            hub.broadcast(.botDelta(conversationID: conversationID, streamID: streamID, offset: offset, delta: delta), conversationID: conversationID)
        case .botWithdrawn(_, _, let conversationID, let streamID, let reason):
            hub.broadcast(.botWithdrawn(conversationID: conversationID, streamID: streamID, reason: reason), conversationID: conversationID)
        case .wordsChanged(_, let tenantID):
            // Beside the listener: a big tenant's rebuild takes a while, notifications keep flowing.
            background.spawn { await words.rulesChanged(tenantID: tenantID) }
        }
    }
}

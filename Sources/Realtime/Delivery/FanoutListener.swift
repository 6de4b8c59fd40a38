import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Tenancy

/// Listens on PostgreSQL's `kefu` channel for what other nodes committed and hands it to this
/// node's hub. Payloads carry ids only:
///
///     m<node>;<tenant> <conversation> <last seq>;…   messages committed up to a seq
///     e<node>;<tenant> <conversation>                 a conversation changed
///     t<node>;<tenant> <conversation> <sender type> <sender id or -> <typing 1|0> <to visitors 1|0>
///     r<node>;<tenant> <conversation> <side> <seq>     a read position moved
///
/// Notifications sent while the listener is disconnected are lost, so after every (re)connect
/// it catches every followed conversation up from the table.
public struct FanoutListener: Service {
    let database: Database
    let hub: Hub
    let conversations: ConversationService
    let nodeID: String
    let logger: Logger

    public init(database: Database, hub: Hub, conversations: ConversationService, nodeID: String, logger: Logger) {
        self.database = database
        self.hub = hub
        self.conversations = conversations
        self.nodeID = nodeID
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown {
                    try await database.listen(on: "kefu") { notifications in
                        // Beside the listener: catch-ups are paced to each reader.
                        Task {
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
        guard let kind = payload.first, !payload.dropFirst().hasPrefix(nodeID + ";") else { return }
        var entries = payload.dropFirst().split(separator: ";")
        guard !entries.isEmpty else { return }
        entries.removeFirst()
        var announced: [UUID: [(conversationID: UUID, lastSeq: Int64)]] = [:]
        for entry in entries {
            let fields = entry.split(separator: " ")
            guard fields.count >= 2, let tenantID = UUID(uuidString: String(fields[0])),
                  let conversationID = UUID(uuidString: String(fields[1])) else { continue }
            switch kind {
            case "m":
                guard fields.count == 3, let seq = Int64(fields[2]) else { continue }
                announced[tenantID, default: []].append((conversationID, seq))
            case "e":
                await hub.changed(tenantID: tenantID, conversationID: conversationID)
            case "t":
                guard fields.count == 6, let senderType = Message.SenderType(rawValue: String(fields[2])) else { continue }
                hub.broadcast(.typing(conversationID: conversationID, senderType: senderType, senderID: UUID(uuidString: String(fields[3])),
                                      typing: fields[4] == "1"), conversationID: conversationID, visitors: fields[5] == "1")
            case "r":
                guard fields.count == 4, let side = Message.SenderType(rawValue: String(fields[2])), let seq = Int64(fields[3]) else { continue }
                hub.broadcast(.read(conversationID: conversationID, side: side, seq: seq), conversationID: conversationID)
            default:
                continue
            }
        }
        for (tenantID, positions) in announced {
            hub.announce(tenantID: tenantID, positions: positions)
        }
    }
}

import Foundation
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import Tenancy

/// One shared clock for every socket on this node, instead of a timer each: pings sockets that
/// have been quiet, closes those that stopped answering, refreshes the presence heartbeat of
/// the agents connected here, tells the other nodes this one listens, and auto-resolves idle
/// conversations.
public struct SocketSweeper: Service {
    public struct Timing: Sendable {
        public var interval: Duration
        public var pingAfter: Duration
        public var closeAfter: Duration

        public init(interval: Duration = .seconds(10), pingAfter: Duration = .seconds(30), closeAfter: Duration = .seconds(75)) {
            self.interval = interval
            self.pingAfter = pingAfter
            self.closeAfter = closeAfter
        }
    }

    let hub: Hub
    let conversations: ConversationService
    let timing: Timing
    let logger: Logger

    public init(hub: Hub, conversations: ConversationService, timing: Timing = Timing(), logger: Logger) {
        self.hub = hub
        self.conversations = conversations
        self.timing = timing
        self.logger = logger
    }

    public func run() async throws {
        var rounds = 0
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: timing.interval) }
            } catch {
                return
            }
            rounds += 1
            await sweep(autoResolve: rounds % 6 == 0)
        }
    }

    func sweep(autoResolve: Bool) async {
        await hub.announceAlive()
        let now = ContinuousClock.now
        var agentsByTenant: [UUID: Set<UUID>] = [:]
        for socket in hub.allSockets() {
            let quiet = now - socket.state.withLock { $0.lastActivity }
            if quiet > timing.closeAfter {
                socket.close(code: .goingAway, reason: "idle")
                continue
            }
            if quiet > timing.pingAfter {
                socket.channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: socket.channel.allocator.buffer(capacity: 0)), promise: nil)
            }
            if case .agent(let principal) = socket.role {
                agentsByTenant[principal.tenantID, default: []].insert(principal.userID)
            }
        }
        let presence = PresenceStore(database: hub.database)
        for (tenantID, users) in agentsByTenant {
            do {
                let back = try await presence.heartbeat(userIDs: Array(users), tenantID: tenantID, node: hub.nodeID)
                // Online again (a close elsewhere or an expired heartbeat had said otherwise):
                // the queue may have grown meanwhile, and is theirs to serve.
                if !back.isEmpty { await conversations.drainQueue(tenantID: tenantID) }
            } catch {
                logger.warning("presence heartbeat failed", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
            }
        }
        if autoResolve { await resolveIdleConversations() }
    }

    /// Opens snoozed conversations whose time has come, and resolves every active tenant's
    /// conversations idle past its `auto_resolve_minutes`.
    /// Every node may do this; the change locks each conversation and skips resolved ones.
    func resolveIdleConversations() async {
        do {
            for tenantID in try await TenantDirectory(database: hub.database).activeTenantIDs() {
                try await conversations.wakeSnoozed(tenantID: tenantID)
                _ = try await conversations.autoResolveIdle(tenantID: tenantID)
            }
        } catch {
            logger.warning("auto-resolve failed", metadata: ["error": "\(error)"])
        }
    }
}

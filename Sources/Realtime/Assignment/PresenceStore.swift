import Foundation
import PostgresNIO
import Tenancy

/// Agents' availability in the shared `agent_presence` table: set when an agent connects or
/// changes status, kept fresh by heartbeats from the nodes holding their sockets, and treated as
/// offline once the heartbeat is older than `AgentCapacity.presenceExpirySeconds`.
///
/// `agent_connections` records which nodes hold an agent's sockets, so an agent goes offline
/// only when the last of them lets go. Connect and disconnect lock the presence row first, so
/// one node's connect and another's disconnect never interleave.
/// An agent's availability: `online` agents are offered conversations; `away` and `offline`
/// ones are not (and `offline` ones are shown offline).
public enum AgentPresence: String, Sendable {
    case online, away, offline
}

struct PresenceStore: Sendable {
    typealias Status = AgentPresence

    let database: Database

    /// The agent's own choice (`presence` frame). `offline` while connected is kept until they
    /// choose again or reconnect: heartbeats do not bring them back.
    func set(_ status: Status, userID: UUID, tenantID: UUID) async throws {
        try await database.withTenant(tenantID) { tx in try await Self.upsert(status, userID: userID, in: tx) }
    }

    /// Sets the agent's status and heartbeat, locking their presence row until the transaction ends.
    private static func upsert(_ status: Status, userID: UUID, in tx: TenantTransaction) async throws {
        try await tx.query("""
            INSERT INTO agent_presence (tenant_id, user_id, status, offline_by_choice, heartbeat_at, online_since)
            VALUES (\(tx.tenantID), \(userID), \(status.rawValue), \(status == .offline), now(), now())
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET status = EXCLUDED.status, offline_by_choice = EXCLUDED.offline_by_choice,
                heartbeat_at = now(),
                online_since = CASE WHEN agent_presence.status = 'online' AND agent_presence.heartbeat_at > now() - interval '90 seconds'
                                    THEN agent_presence.online_since ELSE now() END
            """)
    }

    /// The agent's first socket on `node` opened: this node holds them, and they are `status`
    /// (online, unless the client asked to come back away or offline).
    /// Every presence transaction locks the agents' presence rows first (in user id order) and
    /// `agent_connections` after, so connects, disconnects and heartbeats never deadlock.
    func connect(userID: UUID, tenantID: UUID, node: String, status: Status = .online) async throws {
        try await database.withTenant(tenantID) { tx in
            try await Self.upsert(status, userID: userID, in: tx)
            try await tx.query("""
                INSERT INTO agent_connections (tenant_id, user_id, node_id) VALUES (\(tx.tenantID), \(userID), \(node))
                ON CONFLICT (tenant_id, user_id, node_id) DO UPDATE SET heartbeat_at = now()
                """)
        }
    }

    /// The agent's last socket on `node` closed: offline unless another node still holds one.
    /// - Returns: whether the agent went offline.
    @discardableResult
    func disconnect(userID: UUID, tenantID: UUID, node: String) async throws -> Bool {
        try await database.withTenant(tenantID) { tx in
            try await tx.query("SELECT 1 FROM agent_presence WHERE user_id = \(userID) FOR UPDATE")
            try await tx.query("DELETE FROM agent_connections WHERE user_id = \(userID) AND node_id = \(node)")
            let rows = try await tx.query("""
                UPDATE agent_presence SET status = 'offline'
                WHERE user_id = \(userID) AND NOT EXISTS (
                    SELECT 1 FROM agent_connections c WHERE c.user_id = \(userID)
                      AND c.heartbeat_at > now() - make_interval(secs => \(AgentCapacity.presenceExpirySeconds)))
                RETURNING 1
                """)
            for try await _ in rows.decode(Int.self) { return true }
            return false
        }
    }

    /// One round per tenant for the agents connected to `node`: their heartbeats and this node's
    /// hold on them are refreshed. Only holds `connect` recorded are refreshed (a close that
    /// raced this round has removed its hold, and the agent is not brought back).
    /// - Returns: the agents that were offline or expired and are online again (the queue is
    ///   theirs to serve).
    func heartbeat(userIDs: [UUID], tenantID: UUID, node: String) async throws -> [UUID] {
        let userIDs = userIDs.sorted { $0.uuidString < $1.uuidString }
        return try await database.withTenant(tenantID) { tx in
            // Lock first, read after: the state read is the one this transaction will change.
            var before: [UUID: Bool] = [:]
            let locked = try await tx.query("""
                SELECT user_id, (status = 'offline' AND NOT offline_by_choice)
                                OR heartbeat_at <= now() - make_interval(secs => \(AgentCapacity.presenceExpirySeconds))
                FROM agent_presence WHERE user_id = ANY(\(userIDs)) ORDER BY user_id::text FOR UPDATE
                """)
            for try await (userID, away) in locked.decode((UUID, Bool).self) { before[userID] = away }
            var held: [UUID] = []
            let refreshed = try await tx.query("""
                UPDATE agent_connections SET heartbeat_at = now()
                WHERE node_id = \(node) AND user_id = ANY(\(userIDs)) RETURNING user_id
                """)
            for try await userID in refreshed.decode(UUID.self) { held.append(userID) }
            guard !held.isEmpty else { return [] }
            // Connected here means not offline, whatever another node's close or an expired
            // heartbeat said; unless the agent chose to be offline.
            try await tx.query("""
                UPDATE agent_presence SET heartbeat_at = now(),
                    online_since = CASE WHEN status = 'offline' OR heartbeat_at <= now() - make_interval(secs => \(AgentCapacity.presenceExpirySeconds))
                                        THEN now() ELSE online_since END,
                    status = CASE WHEN status = 'offline' AND NOT offline_by_choice THEN 'online' ELSE status END
                WHERE user_id = ANY(\(held))
                """)
            return held.filter { before[$0] == true }
        }
    }

    func capacity(userID: UUID, tenantID: UUID) async throws -> Int {
        try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("SELECT max_concurrent_chats FROM users WHERE id = \(userID)")
            for try await value in rows.decode(Int.self) { return value }
            return 0
        }
    }
}

import Foundation
import PostgresNIO
import Tenancy

/// Agents' availability in the shared `agent_presence` table: set when an agent connects or
/// changes status, kept fresh by heartbeats from the node holding their socket, and treated as
/// offline once the heartbeat is older than `AgentCapacity.presenceExpirySeconds`.
struct PresenceStore: Sendable {
    enum Status: String, Sendable { case online, away, offline }

    let database: Database

    func set(_ status: Status, userID: UUID, tenantID: UUID) async throws {
        try await database.withTenant(tenantID) { tx in
            try await tx.query("""
                INSERT INTO agent_presence (tenant_id, user_id, status, heartbeat_at, online_since)
                VALUES (\(tx.tenantID), \(userID), \(status.rawValue), now(), now())
                ON CONFLICT (tenant_id, user_id) DO UPDATE SET status = EXCLUDED.status, heartbeat_at = now(),
                    online_since = CASE WHEN agent_presence.status = 'online' AND agent_presence.heartbeat_at > now() - interval '90 seconds'
                                        THEN agent_presence.online_since ELSE now() END
                """)
        }
    }

    /// One statement per tenant for every agent connected to this node.
    func heartbeat(userIDs: [UUID], tenantID: UUID) async throws {
        try await database.withTenant(tenantID) { tx in
            // Connected here means not offline: a close on another node may have said so.
            try await tx.query("""
                UPDATE agent_presence SET heartbeat_at = now(), status = CASE WHEN status = 'offline' THEN 'online' ELSE status END
                WHERE user_id = ANY(\(userIDs))
                """)
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

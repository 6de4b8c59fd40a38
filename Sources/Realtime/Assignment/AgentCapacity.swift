import Foundation
import PostgresNIO
import Tenancy

/// Who may take a conversation. Every path that gives an agent a conversation first locks that
/// agent's presence row and counts their conversations under the lock, so two nodes assigning at
/// once can never push an agent past `max_concurrent_chats`.
enum AgentCapacity {
    /// A heartbeat older than this means the agent is offline, whatever their row says.
    static let presenceExpirySeconds = 90

    /// Locks `agentID`'s presence row (creating it offline if missing) and says whether they
    /// have room for one more conversation.
    static func lockAndCheck(_ agentID: UUID, in tx: TenantTransaction) async throws -> Bool {
        try await tx.query("""
            INSERT INTO agent_presence (tenant_id, user_id, status) VALUES (\(tx.tenantID), \(agentID), 'offline')
            ON CONFLICT (tenant_id, user_id) DO NOTHING
            """)
        // Lock first, count after, in two statements: a statement that waited for the lock would
        // still count with the snapshot taken before the wait, missing an assignment committed
        // by whoever held it.
        try await tx.query("SELECT 1 FROM agent_presence WHERE user_id = \(agentID) FOR UPDATE")
        let rows = try await tx.query("""
            SELECT u.status = 'active'
                   AND (SELECT count(*) FROM conversations c
                        WHERE c.assignee_id = u.id AND c.status IN ('open', 'pending', 'snoozed')) < u.max_concurrent_chats
            FROM users u WHERE u.id = \(agentID)
            """)
        for try await hasRoom in rows.decode(Bool.self) { return hasRoom }
        return false
    }

    /// Picks and locks the online agent to take a conversation of `teamID` (any agent when nil):
    /// least busy first, ties to the one idle longest; or round robin. Nil when all are full.
    static func pick(teamID: UUID?, roundRobin: Bool, in tx: TenantTransaction) async throws -> UUID? {
        var passedOver: [UUID] = []
        var skipLocked = true
        for _ in 0..<8 {
            let order = roundRobin
                ? "p.last_assigned_at NULLS FIRST, p.online_since"
                : "load, COALESCE(p.last_assigned_at, p.online_since)"
            let rows = try await tx.query("""
                SELECT p.user_id,
                       (SELECT count(*) FROM conversations c
                        WHERE c.assignee_id = p.user_id AND c.status IN ('open', 'pending', 'snoozed')) AS load
                FROM agent_presence p JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id
                WHERE p.status = 'online' AND p.heartbeat_at > now() - make_interval(secs => \(presenceExpirySeconds))
                  AND u.status = 'active' AND NOT (p.user_id = ANY(\(passedOver)))
                  AND (\(teamID)::uuid IS NULL OR EXISTS (
                        SELECT 1 FROM team_members m WHERE m.team_id = \(teamID) AND m.user_id = p.user_id))
                  AND (SELECT count(*) FROM conversations c
                       WHERE c.assignee_id = p.user_id AND c.status IN ('open', 'pending', 'snoozed')) < u.max_concurrent_chats
                ORDER BY \(unescaped: order), p.user_id
                LIMIT 1 FOR UPDATE OF p \(unescaped: skipLocked ? "SKIP LOCKED" : "")
                """)
            var candidate: UUID?
            for try await (id, _) in rows.decode((UUID, Int64).self) { candidate = id }
            guard let candidate else {
                // Every agent with room may just be locked by another assignment: wait for them
                // once rather than leave the conversation queued. (Locks are always taken
                // conversation first, then agent, so waiting cannot deadlock.)
                if skipLocked {
                    skipLocked = false
                    continue
                }
                return nil
            }
            // The count above may predate a commit that finished while we waited: count again
            // now that the row is ours.
            if try await lockAndCheck(candidate, in: tx) { return candidate }
            passedOver.append(candidate)
        }
        return nil
    }

    static func recordAssignment(_ agentID: UUID, in tx: TenantTransaction) async throws {
        try await tx.query("UPDATE agent_presence SET last_assigned_at = clock_timestamp() WHERE user_id = \(agentID)")
    }
}

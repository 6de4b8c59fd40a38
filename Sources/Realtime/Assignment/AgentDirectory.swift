import Foundation
import Tenancy

/// The tenant's agents as their colleagues see them: names (never emails), presence and load,
/// for choosing whom to assign and for naming who did what.
public struct AgentDirectory: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public struct Agent: Encodable, Sendable, Equatable {
        public let id: UUID
        public let displayName: String
        /// `online`, `away` or `offline`; a stale heartbeat counts as `offline`.
        public let presence: String
        public let teamIds: [UUID]
        /// Conversations open, pending or snoozed with them now.
        public let activeConversations: Int
        public let maxConcurrentChats: Int
    }

    /// The display name of `userID`, as it signs their messages.
    static func displayName(of userID: UUID, in tx: TenantTransaction) async throws -> String? {
        let rows = try await tx.query("SELECT display_name FROM users WHERE id = \(userID)")
        for try await name in rows.decode(String.self) { return name }
        return nil
    }

    /// Every active user of the tenant, by display name.
    public func agents(tenantID: UUID) async throws -> [Agent] {
        try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("""
                SELECT u.id, u.display_name,
                       CASE WHEN p.heartbeat_at > now() - make_interval(secs => \(AgentCapacity.presenceExpirySeconds))
                            THEN COALESCE(p.status, 'offline') ELSE 'offline' END,
                       COALESCE((SELECT array_agg(m.team_id ORDER BY m.team_id) FROM team_members m WHERE m.user_id = u.id), '{}'),
                       (SELECT count(*) FROM conversations c WHERE c.assignee_id = u.id AND c.status IN ('open', 'pending', 'snoozed'))::int,
                       u.max_concurrent_chats
                FROM users u LEFT JOIN agent_presence p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
                WHERE u.status = 'active'
                ORDER BY lower(u.display_name), u.id
                """)
            var agents: [Agent] = []
            for try await (id, name, presence, teams, load, capacity) in rows.decode((UUID, String, String, [UUID], Int, Int).self) {
                agents.append(Agent(id: id, displayName: name, presence: presence, teamIds: teams, activeConversations: load, maxConcurrentChats: capacity))
            }
            return agents
        }
    }
}

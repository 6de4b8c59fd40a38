import Foundation
import Synchronization
import Tenancy

/// Whether agents are online for a widget's team, remembered for a few seconds per node: every
/// visitor `welcome` tells it, and a burst of page loads (or a flood of anonymous connects) must
/// not become a burst of queries. A few seconds stale is fine for "we are online" in a header.
final class AgentsOnlineCache: Sendable {
    private struct Key: Hashable {
        let tenantID: UUID
        let teamID: UUID?
    }

    private let entries = Mutex<[Key: (online: Bool, at: ContinuousClock.Instant)]>([:])
    let lifetime: Duration

    init(lifetime: Duration = .seconds(3)) {
        self.lifetime = lifetime
    }

    func agentsOnline(tenantID: UUID, teamID: UUID?, database: Database) async throws -> Bool {
        let key = Key(tenantID: tenantID, teamID: teamID)
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[key] }), now - entry.at < lifetime { return entry.online }
        let online = try await database.withTenant(tenantID) { tx in try await WidgetFront.agentsOnline(teamID: teamID, in: tx) }
        entries.withLock { entries in
            // Bounded: past 10,000 keys the expired ones go (what is left was asked for within
            // the last few seconds), so the teams in use keep their entries.
            if entries.count >= 10_000 { entries = entries.filter { now - $0.value.at < lifetime } }
            entries[key] = (online, now)
        }
        return online
    }
}

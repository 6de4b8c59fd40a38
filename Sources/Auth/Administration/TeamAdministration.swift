import Foundation
import PostgresNIO
import Tenancy

/// A team: agents that conversations can be routed to together.
public struct Team: Sendable, Equatable {
    public let id: UUID
    public var name: String
    public var memberIDs: [UUID]
    public let createdAt: Date
}

/// Lists and changes a tenant's teams and their members (`teams.manage`). Every change is audited.
public struct TeamAdministration: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func list(page: PageRequest, tenantID: UUID) async throws -> Page<Team> {
        try await database.keysetPage(page, tenantID: tenantID, columns: Self.columns, from: "teams", decode: Self.decode)
    }

    public func get(_ id: UUID, tenantID: UUID) async throws -> Team {
        try await database.withTenant(tenantID) { tx in try await Self.load(id, in: tx) }
    }

    public func create(name: String, memberIDs: [UUID], by caller: Principal, origin: RequestOrigin) async throws -> Team {
        try Self.validate(name: name)
        return try await database.withTenant(caller.tenantID) { tx in
            let id = try await RoleAdministration.translatingConflicts(name) {
                var id = UUID()
                for try await value in try await tx.query("INSERT INTO teams (tenant_id, name) VALUES (\(tx.tenantID), \(name)) RETURNING id").decode(UUID.self) {
                    id = value
                }
                return id
            }
            try await Self.replaceMembers(of: id, with: memberIDs, in: tx)
            let team = try await Self.load(id, in: tx)
            var changes: [String: AuditChange] = ["name": .init(from: nil, to: name)]
            if !team.memberIDs.isEmpty { changes["memberIds"] = .init(from: nil, to: team.memberIDs.listText) }
            try await AuditLog.append(AuditEvent(
                action: "team.created", actor: caller.actor, targetType: "team", targetID: id.lowercased,
                changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return team
        }
    }

    public func update(_ id: UUID, name: String?, memberIDs: [UUID]?, by caller: Principal, origin: RequestOrigin) async throws -> Team {
        if let name { try Self.validate(name: name) }
        return try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.load(id, in: tx, lock: true)
            if let name, name != before.name {
                _ = try await RoleAdministration.translatingConflicts(name) {
                    try await tx.query("UPDATE teams SET name = \(name) WHERE id = \(id)")
                }
            }
            if let memberIDs { try await Self.replaceMembers(of: id, with: memberIDs, in: tx) }
            let after = try await Self.load(id, in: tx)
            var changes: [String: AuditChange] = [:]
            if before.name != after.name { changes["name"] = .init(from: before.name, to: after.name) }
            if before.memberIDs != after.memberIDs { changes["memberIds"] = .init(from: before.memberIDs.listText, to: after.memberIDs.listText) }
            if !changes.isEmpty {
                try await AuditLog.append(AuditEvent(
                    action: "team.updated", actor: caller.actor, targetType: "team", targetID: id.lowercased,
                    changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return after
        }
    }

    public func delete(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let team = try await Self.load(id, in: tx, lock: true)
            try await tx.query("DELETE FROM teams WHERE id = \(id)")
            try await AuditLog.append(AuditEvent(
                action: "team.deleted", actor: caller.actor, targetType: "team", targetID: id.lowercased,
                changes: ["name": .init(from: team.name, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    // MARK: - Helpers

    static let columns = """
        id, name,
        coalesce((SELECT array_agg(m.user_id ORDER BY m.user_id) FROM team_members m
                  WHERE m.tenant_id = teams.tenant_id AND m.team_id = teams.id), '{}'),
        created_at, (extract(epoch FROM created_at) * 1000000)::bigint
        """

    static func load(_ id: UUID, in tx: TenantTransaction, lock: Bool = false) async throws -> Team {
        let rows = try await tx.query("SELECT \(unescaped: columns) FROM teams WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        guard let team = try await decode(rows).first?.item else { throw AdministrationError.notFound("team") }
        return team
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [(item: Team, cursor: PageCursor)] {
        var teams: [(item: Team, cursor: PageCursor)] = []
        for try await (id, name, members, createdAt, micros) in rows.decode((UUID, String, [UUID], Date, Int64).self) {
            teams.append((Team(id: id, name: name, memberIDs: members, createdAt: createdAt), PageCursor(createdAtMicros: micros, id: id)))
        }
        return teams
    }

    /// Makes `memberIDs` the team's members; every id must be a user of the tenant.
    static func replaceMembers(of teamID: UUID, with memberIDs: [UUID], in tx: TenantTransaction) async throws {
        let wanted = Array(Set(memberIDs))
        let rows = try await tx.query("SELECT count(*)::int FROM users WHERE id = ANY(\(wanted))")
        for try await found in rows.decode(Int.self) where found != wanted.count {
            throw InvalidFields(field: "memberIds", message: "contains an id that is not a user of this tenant")
        }
        try await tx.query("DELETE FROM team_members WHERE team_id = \(teamID) AND NOT (user_id = ANY(\(wanted)))")
        try await tx.query("""
            INSERT INTO team_members (tenant_id, team_id, user_id)
            SELECT \(tx.tenantID), \(teamID), member FROM unnest(\(wanted)::uuid[]) AS member
            ON CONFLICT DO NOTHING
            """)
    }

    static func validate(name: String) throws {
        if name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || name.count > 100 {
            throw InvalidFields(field: "name", message: "expected 1 to 100 characters")
        }
    }
}

import Foundation
import PostgresNIO
import Tenancy

/// Users of a tenant as administrators manage them (`users.manage`): list, create, change,
/// disable and delete, under the rules nobody may break — no one grants a permission they lack,
/// only owners deal with owners, the last active owner stays, and every change is audited.
public struct UserAdministration: Sendable {
    let database: Database
    let hasher: PasswordHasher
    let policy = PasswordPolicy()

    public init(database: Database, hasher: PasswordHasher) {
        self.database = database
        self.hasher = hasher
    }

    /// Filters for the user list.
    public struct Filter: Sendable, Equatable {
        public var status: String?
        public var teamID: UUID?
        public var roleID: UUID?
        /// Matches email or display name, ignoring case.
        public var search: String?

        public init(status: String? = nil, teamID: UUID? = nil, roleID: UUID? = nil, search: String? = nil) {
            self.status = status
            self.teamID = teamID
            self.roleID = roleID
            self.search = search
        }
    }

    public struct NewUser: Sendable {
        public var email: String
        public var displayName: String
        public var password: String
        public var roleID: UUID
        public var maxConcurrentChats: Int
        public var teamIDs: [UUID]

        public init(email: String, displayName: String, password: String, roleID: UUID, maxConcurrentChats: Int = 5, teamIDs: [UUID] = []) {
            self.email = email
            self.displayName = displayName
            self.password = password
            self.roleID = roleID
            self.maxConcurrentChats = maxConcurrentChats
            self.teamIDs = teamIDs
        }
    }

    /// A change to a user; `nil` fields stay as they are.
    public struct Changes: Sendable {
        public var displayName: String?
        public var roleID: UUID?
        public var status: String?
        public var maxConcurrentChats: Int?
        public var teamIDs: [UUID]?
        public var password: String?

        public init(displayName: String? = nil, roleID: UUID? = nil, status: String? = nil, maxConcurrentChats: Int? = nil,
                    teamIDs: [UUID]? = nil, password: String? = nil) {
            self.displayName = displayName
            self.roleID = roleID
            self.status = status
            self.maxConcurrentChats = maxConcurrentChats
            self.teamIDs = teamIDs
            self.password = password
        }
    }

    public static let statuses = ["active", "disabled"]
    public static let maximumConcurrentChats = 100

    public func list(_ filter: Filter, page: PageRequest, tenantID: UUID) async throws -> Page<User> {
        let pattern = filter.search.map { LikePattern.containing($0.lowercased()) }
        let matches: SQLFragment = """
            (\(filter.status)::text IS NULL OR status = \(filter.status))
              AND (\(filter.roleID)::uuid IS NULL OR role_id = \(filter.roleID))
              AND (\(filter.teamID)::uuid IS NULL OR EXISTS (
                    SELECT 1 FROM team_members m WHERE m.user_id = users.id AND m.team_id = \(filter.teamID)))
              AND (\(pattern)::text IS NULL OR lower(email) LIKE \(pattern) OR lower(display_name) LIKE \(pattern))
            """
        return try await database.keysetPage(
            page, tenantID: tenantID, columns: AccountDirectory.userColumns, from: "users", where: matches,
            decode: AccountDirectory.decodeUserRows)
    }

    public func get(_ id: UUID, tenantID: UUID) async throws -> User {
        try await database.withTenant(tenantID) { tx in try await Self.load(id, in: tx) }
    }

    public func create(_ new: NewUser, by caller: Principal, origin: RequestOrigin) async throws -> User {
        try AccountError.validate(email: new.email)
        try Self.validate(displayName: new.displayName)
        try Self.validate(maxConcurrentChats: new.maxConcurrentChats)
        try checkPolicy(new.password, email: new.email)
        let passwordHash = try await hasher.hash(new.password)
        return try await database.withTenant(caller.tenantID) { tx in
            try await RoleGrant.load(new.roleID, in: tx).authorize(caller)
            let created = try await AccountDirectory.insertUser(
                email: new.email, displayName: new.displayName, passwordHash: passwordHash, roleID: new.roleID, in: tx)
            try await tx.query("UPDATE users SET max_concurrent_chats = \(new.maxConcurrentChats) WHERE id = \(created.id)")
            try await Self.replaceTeams(of: created.id, with: new.teamIDs, in: tx)
            let user = try await Self.load(created.id, in: tx)
            var changes: [String: AuditChange] = [
                "email": .init(from: nil, to: user.email), "displayName": .init(from: nil, to: user.displayName),
                "roleId": .init(from: nil, to: user.roleID.lowercased), "maxConcurrentChats": .init(from: nil, to: String(user.maxConcurrentChats)),
                "password": .redacted,
            ]
            if !user.teamIDs.isEmpty { changes["teamIds"] = .init(from: nil, to: user.teamIDs.listText) }
            try await AuditLog.append(AuditEvent(
                action: "user.created", actor: caller.actor, targetType: "user", targetID: user.id.lowercased,
                changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return user
        }
    }

    public func update(_ id: UUID, _ changes: Changes, by caller: Principal, origin: RequestOrigin) async throws -> User {
        if let name = changes.displayName { try Self.validate(displayName: name) }
        if let chats = changes.maxConcurrentChats { try Self.validate(maxConcurrentChats: chats) }
        if let status = changes.status, !Self.statuses.contains(status) {
            throw InvalidFields(field: "status", message: "expected active or disabled")
        }
        // Hash before the transaction: Argon2 takes a while and holds no locks. The caller is
        // authorized first, so nobody can make the server hash for a user they may not change.
        var passwordHash: String?
        if let password = changes.password {
            let email = try await database.withTenant(caller.tenantID) { tx in
                let user = try await Self.load(id, in: tx)
                try await RoleGrant.load(user.roleID, in: tx).authorize(caller)
                return user.email
            }
            try checkPolicy(password, email: email)
            passwordHash = try await hasher.hash(password)
        }
        return try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.load(id, in: tx)
            let currentRole = try await RoleGrant.load(before.roleID, in: tx)
            try currentRole.authorize(caller)
            var newRole = currentRole
            if let roleID = changes.roleID, roleID != before.roleID {
                newRole = try await RoleGrant.load(roleID, in: tx)
                try newRole.authorize(caller)
            }
            let staysActiveOwner = newRole.isOwner && (changes.status ?? before.status) == "active"
            if currentRole.isOwner && before.status == "active" && !staysActiveOwner {
                try await OwnerGuard.ensureAnotherActiveOwner(besides: id, in: tx)
            }
            try await tx.query("""
                UPDATE users SET
                    display_name = coalesce(\(changes.displayName), display_name),
                    role_id = \(newRole.id),
                    status = coalesce(\(changes.status), status),
                    max_concurrent_chats = coalesce(\(changes.maxConcurrentChats), max_concurrent_chats),
                    password_hash = coalesce(\(passwordHash), password_hash),
                    password_changed_at = CASE WHEN \(passwordHash)::text IS NULL THEN password_changed_at ELSE now() END,
                    updated_at = now()
                WHERE id = \(id)
                """)
            if let teams = changes.teamIDs { try await Self.replaceTeams(of: id, with: teams, in: tx) }
            let after = try await Self.load(id, in: tx)
            // A disabled user, or one whose password an administrator reset, is signed out everywhere.
            if (after.status == "disabled" && before.status != "disabled") || passwordHash != nil {
                try await SessionStore.revokeAll(userID: id, in: tx)
            }
            var recorded = Self.differences(before, after)
            if passwordHash != nil { recorded["password"] = .redacted }
            if !recorded.isEmpty {
                try await AuditLog.append(AuditEvent(
                    action: "user.updated", actor: caller.actor, targetType: "user", targetID: id.lowercased,
                    changes: recorded, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return after
        }
    }

    public func delete(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let user = try await Self.load(id, in: tx)
            let role = try await RoleGrant.load(user.roleID, in: tx)
            try role.authorize(caller)
            if role.isOwner && user.status == "active" {
                try await OwnerGuard.ensureAnotherActiveOwner(besides: id, in: tx)
            }
            try await tx.query("DELETE FROM users WHERE id = \(id)")
            try await AuditLog.append(AuditEvent(
                action: "user.deleted", actor: caller.actor, targetType: "user", targetID: id.lowercased,
                changes: ["email": .init(from: user.email, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    // MARK: - Helpers

    static func load(_ id: UUID, in tx: TenantTransaction) async throws -> User {
        let rows = try await tx.query("SELECT \(unescaped: AccountDirectory.userColumns) FROM users WHERE id = \(id)")
        guard let user = try await AccountDirectory.decodeUsers(rows).first else { throw AdministrationError.notFound("user") }
        return user
    }

    /// Makes `teamIDs` the user's teams; every id must be a team of the tenant.
    static func replaceTeams(of userID: UUID, with teamIDs: [UUID], in tx: TenantTransaction) async throws {
        let wanted = Array(Set(teamIDs))
        let rows = try await tx.query("SELECT count(*)::int FROM teams WHERE id = ANY(\(wanted))")
        for try await found in rows.decode(Int.self) where found != wanted.count {
            throw InvalidFields(field: "teamIds", message: "contains an id that is not a team of this tenant")
        }
        try await tx.query("DELETE FROM team_members WHERE user_id = \(userID) AND NOT (team_id = ANY(\(wanted)))")
        try await tx.query("""
            INSERT INTO team_members (tenant_id, team_id, user_id)
            SELECT \(tx.tenantID), team, \(userID) FROM unnest(\(wanted)::uuid[]) AS team
            ON CONFLICT DO NOTHING
            """)
    }

    static func differences(_ before: User, _ after: User) -> [String: AuditChange] {
        var changes: [String: AuditChange] = [:]
        func note(_ field: String, _ old: String, _ new: String) {
            if old != new { changes[field] = .init(from: old, to: new) }
        }
        note("displayName", before.displayName, after.displayName)
        note("roleId", before.roleID.lowercased, after.roleID.lowercased)
        note("status", before.status, after.status)
        note("maxConcurrentChats", String(before.maxConcurrentChats), String(after.maxConcurrentChats))
        note("teamIds", before.teamIDs.listText, after.teamIDs.listText)
        return changes
    }

    static func validate(displayName: String) throws {
        let trimmed = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, displayName.count <= 100 else {
            throw InvalidFields(field: "displayName", message: "expected 1 to 100 characters")
        }
    }

    static func validate(maxConcurrentChats: Int) throws {
        guard (0...maximumConcurrentChats).contains(maxConcurrentChats) else {
            throw InvalidFields(field: "maxConcurrentChats", message: "expected an integer from 0 to \(maximumConcurrentChats)")
        }
    }

    private func checkPolicy(_ password: String, email: String) throws {
        do {
            try policy.check(password, email: email)
        } catch let violation as PasswordPolicy.Violation {
            throw AccountError.weakPassword(violation)
        }
    }
}

extension [UUID] {
    /// A stable text form of a set of ids for audit entries.
    var listText: String { map(\.lowercased).sorted().joined(separator: ",") }
}

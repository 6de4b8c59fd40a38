import Foundation
import PostgresNIO
import Tenancy

/// A role: a named set of permissions. Built-in roles are fixed; custom ones are managed with
/// `roles.manage`, never granting more than the manager holds.
public struct Role: Sendable, Equatable {
    public let id: UUID
    public var name: String
    public var description: String
    public var permissions: [Permission]
    public let builtin: BuiltinRole?
    public var userCount: Int
    public let createdAt: Date
}

/// Lists and changes a tenant's roles. Every change is audited.
public struct RoleAdministration: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func list(page: PageRequest, tenantID: UUID) async throws -> Page<Role> {
        try await database.keysetPage(page, tenantID: tenantID, columns: Self.columns, from: "roles", decode: Self.decode)
    }

    public func get(_ id: UUID, tenantID: UUID) async throws -> Role {
        try await database.withTenant(tenantID) { tx in try await Self.load(id, in: tx) }
    }

    public func create(name: String, description: String, permissions: [String], by caller: Principal, origin: RequestOrigin) async throws -> Role {
        try Self.validate(name: name, description: description)
        let granted = try Self.parse(permissions)
        try AdministrationError.requireSubset(granted, of: caller)
        return try await database.withTenant(caller.tenantID) { tx in
            let names = granted.map(\.rawValue).sorted()
            // The unique-name violation arrives with the rows, so they are read inside.
            let id = try await Self.translatingConflicts(name) {
                var id = UUID()
                for try await value in try await tx.query("""
                    INSERT INTO roles (tenant_id, name, description, permissions) VALUES (\(tx.tenantID), \(name), \(description), \(names))
                    RETURNING id
                    """).decode(UUID.self) { id = value }
                return id
            }
            let role = try await Self.load(id, in: tx)
            try await AuditLog.append(AuditEvent(
                action: "role.created", actor: caller.actor, targetType: "role", targetID: id.lowercased,
                changes: ["name": .init(from: nil, to: name), "permissions": .init(from: nil, to: names.joined(separator: ","))],
                ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return role
        }
    }

    public func update(_ id: UUID, name: String?, description: String?, permissions: [String]?, by caller: Principal, origin: RequestOrigin) async throws -> Role {
        try Self.validate(name: name, description: description)
        let granted = try permissions.map(Self.parse)
        return try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.load(id, in: tx, lock: true)
            guard before.builtin == nil else { throw AdministrationError.builtinRole }
            try AdministrationError.requireSubset(Set(before.permissions), of: caller)
            if let granted { try AdministrationError.requireSubset(granted, of: caller) }
            let names = granted.map { $0.map(\.rawValue).sorted() }
            _ = try await Self.translatingConflicts(name ?? before.name) {
                try await tx.query("""
                    UPDATE roles SET name = coalesce(\(name), name), description = coalesce(\(description), description),
                        permissions = coalesce(\(names), permissions), updated_at = now()
                    WHERE id = \(id)
                    """)
            }
            let after = try await Self.load(id, in: tx)
            var changes: [String: AuditChange] = [:]
            if before.name != after.name { changes["name"] = .init(from: before.name, to: after.name) }
            if before.description != after.description { changes["description"] = .init(from: before.description, to: after.description) }
            if before.permissions != after.permissions {
                changes["permissions"] = .init(from: before.permissions.map(\.rawValue).joined(separator: ","),
                                               to: after.permissions.map(\.rawValue).joined(separator: ","))
            }
            if !changes.isEmpty {
                try await AuditLog.append(AuditEvent(
                    action: "role.updated", actor: caller.actor, targetType: "role", targetID: id.lowercased,
                    changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return after
        }
    }

    public func delete(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let role = try await Self.load(id, in: tx, lock: true)
            guard role.builtin == nil else { throw AdministrationError.builtinRole }
            try AdministrationError.requireSubset(Set(role.permissions), of: caller)
            guard role.userCount == 0 else { throw AdministrationError.roleInUse(users: role.userCount) }
            do {
                try await tx.query("DELETE FROM roles WHERE id = \(id)")
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
                // A user took the role between the count and the delete.
                throw AdministrationError.roleInUse(users: 1)
            }
            try await AuditLog.append(AuditEvent(
                action: "role.deleted", actor: caller.actor, targetType: "role", targetID: id.lowercased,
                changes: ["name": .init(from: role.name, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    // MARK: - Helpers

    static let columns = """
        id, name, description, permissions, builtin,
        (SELECT count(*)::int FROM users u WHERE u.tenant_id = roles.tenant_id AND u.role_id = roles.id),
        created_at, (extract(epoch FROM created_at) * 1000000)::bigint
        """

    static func load(_ id: UUID, in tx: TenantTransaction, lock: Bool = false) async throws -> Role {
        let rows = try await tx.query("SELECT \(unescaped: columns) FROM roles WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        guard let role = try await decode(rows).first?.item else { throw AdministrationError.notFound("role") }
        return role
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [(item: Role, cursor: PageCursor)] {
        var roles: [(item: Role, cursor: PageCursor)] = []
        for try await (id, name, description, names, builtin, users, createdAt, micros)
            in rows.decode((UUID, String, String, [String], String?, Int, Date, Int64).self) {
            let role = Role(id: id, name: name, description: description, permissions: Permission.set(names).sorted(),
                            builtin: builtin.flatMap(BuiltinRole.init(rawValue:)), userCount: users, createdAt: createdAt)
            roles.append((role, PageCursor(createdAtMicros: micros, id: id)))
        }
        return roles
    }

    static func parse(_ names: [String]) throws -> Set<Permission> {
        var permissions = Set<Permission>()
        for name in names {
            guard let permission = Permission(rawValue: name) else {
                throw InvalidFields(field: "permissions", message: "unknown permission \"\(name.prefix(64))\"")
            }
            permissions.insert(permission)
        }
        return permissions
    }

    static func validate(name: String?, description: String?) throws {
        if let name, name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || name.count > 64 {
            throw InvalidFields(field: "name", message: "expected 1 to 64 characters")
        }
        if let description, description.count > 500 {
            throw InvalidFields(field: "description", message: "expected at most 500 characters")
        }
    }

    /// Runs a write whose unique-name violation means the name is taken.
    static func translatingConflicts<Result>(_ name: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw AdministrationError.nameTaken(name)
        }
    }
}

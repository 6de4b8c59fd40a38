import Foundation
import PostgresNIO
import Tenancy

/// A role as the rules see it: what it grants and whether it is a built-in one.
struct RoleGrant: Sendable {
    let id: UUID
    let permissions: Set<Permission>
    let builtin: BuiltinRole?

    var isOwner: Bool { builtin == .owner }

    /// The role `id` in the transaction's tenant, or `notFound`.
    static func load(_ id: UUID, in tx: TenantTransaction) async throws -> RoleGrant {
        let rows = try await tx.query("SELECT permissions, builtin FROM roles WHERE id = \(id)")
        for try await (names, builtin) in rows.decode(([String], String?).self) {
            return RoleGrant(id: id, permissions: Permission.set(names), builtin: builtin.flatMap(BuiltinRole.init(rawValue:)))
        }
        throw AdministrationError.notFound("role")
    }

    /// Whether `caller` may hand this role out, or change someone who holds it: they must hold
    /// every permission it grants, and only owners deal with owners.
    func authorize(_ caller: Principal) throws {
        if isOwner && !caller.isOwner { throw AdministrationError.ownerRequired }
        try AdministrationError.requireSubset(permissions, of: caller)
    }
}

/// The last-owner rule. Locks the tenant's active owners (in id order, so concurrent changes
/// queue rather than deadlock) and refuses a change that would leave none.
enum OwnerGuard {
    static func ensureAnotherActiveOwner(besides userID: UUID, in tx: TenantTransaction) async throws {
        let rows = try await tx.query("""
            SELECT u.id FROM users u JOIN roles r ON r.tenant_id = u.tenant_id AND r.id = u.role_id
            WHERE r.builtin = 'owner' AND u.status = 'active'
            ORDER BY u.id FOR UPDATE OF u
            """)
        var owners: [UUID] = []
        for try await id in rows.decode(UUID.self) { owners.append(id) }
        if owners.contains(userID) && owners.count == 1 { throw AdministrationError.lastOwner }
    }
}

import Foundation
import PostgresNIO
import Tenancy

/// Creates tenants with their built-in roles and first owner, and finds users.
public struct AccountDirectory: Sendable {
    public static let demoOwnerEmail = "owner@demo.kefu.local"
    /// The slug of the demo tenant a fresh installation gets (`KEFU_SEED_DEMO`).
    public static let demoTenantSlug = "demo"

    let database: Database
    let hasher: PasswordHasher
    let policy = PasswordPolicy()

    public init(database: Database, hasher: PasswordHasher) {
        self.database = database
        self.hasher = hasher
    }

    /// A tenant just created, with its owner; `generatedPassword` is set when none was given
    /// and is shown exactly once.
    public struct CreatedTenant: Sendable {
        public let tenant: Tenant
        public let owner: User
        public let generatedPassword: String?
    }

    /// Creates a tenant, its built-in roles and its owner in one transaction.
    /// Throws `TenantError` or `AccountError` naming what is wrong; nothing is created then.
    public func createTenant(slug: String, name: String, ownerEmail: String, ownerPassword: String?) async throws -> CreatedTenant {
        try TenantError.validate(slug: slug, name: name)
        try AccountError.validate(email: ownerEmail)
        let password = ownerPassword ?? Self.generatePassword()
        do {
            try policy.check(password, email: ownerEmail)
        } catch let violation as PasswordPolicy.Violation {
            throw AccountError.weakPassword(violation)
        }
        let passwordHash = try await hasher.hash(password)
        let (tenant, owner) = try await TenantDirectory(database: database).create(slug: slug, name: name) { tenant, tx in
            try await AuditLog.startChain(in: tx)
            try await AuditLog.append(
                AuditEvent(action: "tenant.created", actor: .system, targetType: "tenant", targetID: tenant.id.uuidString.lowercased(),
                           changes: ["slug": .init(from: nil, to: slug), "name": .init(from: nil, to: name)]),
                in: tx)
            var ownerRole = UUID()
            for role in BuiltinRole.allCases {
                let permissions = role.permissions.map(\.rawValue).sorted()
                let rows = try await tx.query("""
                    INSERT INTO roles (tenant_id, name, permissions, builtin)
                    VALUES (\(tenant.id), \(role.displayName), \(permissions), \(role.rawValue)) RETURNING id
                    """)
                for try await id in rows.decode(UUID.self) where role == .owner { ownerRole = id }
            }
            let owner = try await Self.insertUser(
                email: ownerEmail, displayName: "Owner", passwordHash: passwordHash, roleID: ownerRole, in: tx)
            try await AuditLog.append(
                AuditEvent(action: "user.created", actor: .system, targetType: "user", targetID: owner.id.uuidString.lowercased(),
                           changes: ["email": .init(from: nil, to: owner.email), "role": .init(from: nil, to: BuiltinRole.owner.rawValue),
                                     "password": .redacted]),
                in: tx)
            return (tenant, owner)
        }
        return CreatedTenant(tenant: tenant, owner: owner, generatedPassword: ownerPassword == nil ? password : nil)
    }

    /// Creates the `demo` tenant and its owner when the installation has no tenant at all.
    public func seedDemoIfEmpty() async throws -> CreatedTenant? {
        guard try await TenantDirectory(database: database).isEmpty() else { return nil }
        do {
            return try await createTenant(slug: Self.demoTenantSlug, name: "Demo", ownerEmail: Self.demoOwnerEmail, ownerPassword: nil)
        } catch TenantError.slugTaken {
            return nil // another node seeded it first
        }
    }

    /// Inserts a user of the transaction's tenant. Throws `AccountError.emailTaken` when the
    /// tenant already has the address.
    static func insertUser(
        email: String, displayName: String, passwordHash: String, roleID: UUID, in tx: TenantTransaction
    ) async throws -> User {
        do {
            let rows = try await tx.query("""
                INSERT INTO users (tenant_id, email, display_name, password_hash, role_id)
                VALUES (\(tx.tenantID), \(email), \(displayName), \(passwordHash), \(roleID))
                RETURNING \(unescaped: userColumns)
                """)
            guard let user = try await decodeUsers(rows).first else { throw AccountError.invalidEmail }
            return user
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw AccountError.emailTaken
        }
    }

    /// The columns `decodeUsers` reads, from `users` (also in RETURNING).
    static let userColumns = """
        users.id, users.tenant_id, users.email, users.display_name, users.status, users.role_id, users.max_concurrent_chats,
        coalesce((SELECT array_agg(m.team_id ORDER BY m.team_id) FROM team_members m
                  WHERE m.tenant_id = users.tenant_id AND m.user_id = users.id), '{}'),
        users.totp_enabled_at IS NOT NULL, users.created_at,
        (extract(epoch FROM users.created_at) * 1000000)::bigint
        """

    static func decodeUsers(_ rows: PostgresRowSequence) async throws -> [User] {
        try await decodeUserRows(rows).map(\.item)
    }

    static func decodeUserRows(_ rows: PostgresRowSequence) async throws -> [(item: User, cursor: PageCursor)] {
        var users: [(item: User, cursor: PageCursor)] = []
        for try await (id, tenantID, email, name, status, roleID, maxChats, teams, twoFactor, createdAt, micros)
            in rows.decode((UUID, UUID, String, String, String, UUID, Int, [UUID], Bool, Date, Int64).self) {
            let user = User(id: id, tenantID: tenantID, email: email, displayName: name, status: status, roleID: roleID,
                            maxConcurrentChats: maxChats, teamIDs: teams, twoFactorEnabled: twoFactor, createdAt: createdAt)
            users.append((user, PageCursor(createdAtMicros: micros, id: id)))
        }
        return users
    }

    /// 20 characters from an alphabet without look-alikes: about 113 bits.
    static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

extension AccountDirectory {
    /// The user `id` of `tenantID`, or `nil`.
    public func user(_ id: UUID, tenantID: UUID) async throws -> User? {
        try await database.withTenant(tenantID) { tx in
            try await Self.decodeUsers(tx.query("SELECT \(unescaped: Self.userColumns) FROM users WHERE id = \(id)")).first
        }
    }
}

import Foundation
import PostgresNIO
import Tenancy

/// A named API token as listed: never its secret, which is shown once at creation.
public struct ApiToken: Sendable, Equatable {
    public let id: UUID
    public let name: String
    public let permissions: [Permission]
    /// The user it acts for; it never has more permissions than that user currently holds.
    public let userID: UUID
    public let createdAt: Date
    public let expiresAt: Date?
    public let lastUsedAt: Date?
}

/// API tokens for integrations (`tokens.manage`): named, limited to a subset of the creator's
/// permissions, optionally expiring, revocable, stored as SHA-256. Audited.
public struct ApiTokenStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public static let maximumNameLength = 100

    /// Creates a token; the returned secret is shown to the caller once and never again.
    public func create(name: String, permissions: [String], expiresAt: Date?, by caller: Principal, origin: RequestOrigin,
                       now: Date = Date()) async throws -> (token: ApiToken, secret: String) {
        if name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || name.count > Self.maximumNameLength {
            throw InvalidFields(field: "name", message: "expected 1 to \(Self.maximumNameLength) characters")
        }
        let granted = try RoleAdministration.parse(permissions)
        if granted.isEmpty { throw InvalidFields(field: "permissions", message: "name at least one permission") }
        if let expiresAt, expiresAt <= now { throw InvalidFields(field: "expiresAt", message: "must be in the future") }
        try AdministrationError.requireSubset(granted, of: caller)
        let secret = OpaqueToken(.api, tenantID: caller.tenantID)
        let names = granted.map(\.rawValue).sorted()
        return try await database.withTenant(caller.tenantID) { tx in
            let rows = try await tx.query("""
                INSERT INTO api_tokens (tenant_id, user_id, name, token_hash, permissions, expires_at)
                VALUES (\(tx.tenantID), \(caller.userID), \(name), \(secret.hash), \(names), \(expiresAt))
                RETURNING \(unescaped: Self.columns)
                """)
            guard let token = try await Self.decode(rows).first?.item else { throw AdministrationError.notFound("token") }
            var changes: [String: AuditChange] = ["name": .init(from: nil, to: name), "permissions": .init(from: nil, to: names.joined(separator: ","))]
            if let expiresAt { changes["expiresAt"] = .init(from: nil, to: expiresAt.formatted(.iso8601)) }
            try await AuditLog.append(AuditEvent(
                action: "token.created", actor: caller.actor, targetType: "token", targetID: token.id.lowercased,
                changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return (token, secret.value)
        }
    }

    /// The tenant's live (unrevoked) tokens, expired ones included so they can be cleaned up.
    public func list(page: PageRequest, tenantID: UUID) async throws -> Page<ApiToken> {
        try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("""
                SELECT \(unescaped: Self.columns) FROM api_tokens
                WHERE revoked_at IS NULL
                  AND \(page.afterCondition)
                ORDER BY created_at, id LIMIT \(page.limit + 1)
                """)
            return Page(rows: try await Self.decode(rows), limit: page.limit)
        }
    }

    /// Revokes a token of the caller's tenant; `notFound` when there is no such live token.
    public func revoke(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let rows = try await tx.query("UPDATE api_tokens SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING name")
            var name: String?
            for try await value in rows.decode(String.self) { name = value }
            guard let name else { throw AdministrationError.notFound("token") }
            try await AuditLog.append(AuditEvent(
                action: "token.revoked", actor: caller.actor, targetType: "token", targetID: id.lowercased,
                changes: ["name": .init(from: name, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    /// The principal behind a presented API token, or `nil` when it is unknown, revoked,
    /// expired, or its user is disabled. Its permissions are the token's, narrowed to what the
    /// user's role grants today. Records `last_used_at` (at most once a minute).
    public func authenticate(_ presented: String) async throws -> Principal? {
        guard let token = OpaqueToken(parsing: presented), token.kind == .api else { return nil }
        return try await database.withTenant(token.tenantID) { tx in
            let rows = try await tx.query("""
                SELECT k.id, k.user_id, k.permissions, r.permissions
                FROM api_tokens k
                JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id
                JOIN roles r ON r.tenant_id = u.tenant_id AND r.id = u.role_id
                JOIN tenants t ON t.id = k.tenant_id
                WHERE k.token_hash = \(token.hash) AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
                  AND u.status = 'active' AND t.status = 'active'
                """)
            for try await (tokenID, userID, tokenPermissions, rolePermissions) in rows.decode((UUID, UUID, [String], [String]).self) {
                try await tx.query("""
                    UPDATE api_tokens SET last_used_at = now()
                    WHERE id = \(tokenID) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
                    """)
                return Principal(
                    tenantID: tx.tenantID, userID: userID, credential: .apiToken(tokenID),
                    permissions: Permission.set(tokenPermissions).intersection(Permission.set(rolePermissions)))
            }
            return nil
        }
    }

    // MARK: - Helpers

    static let columns = """
        id, name, permissions, user_id, created_at, expires_at, last_used_at, (extract(epoch FROM created_at) * 1000000)::bigint
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [(item: ApiToken, cursor: PageCursor)] {
        var tokens: [(item: ApiToken, cursor: PageCursor)] = []
        for try await (id, name, names, userID, createdAt, expiresAt, lastUsedAt, micros)
            in rows.decode((UUID, String, [String], UUID, Date, Date?, Date?, Int64).self) {
            let token = ApiToken(id: id, name: name, permissions: Permission.set(names).sorted(), userID: userID,
                                 createdAt: createdAt, expiresAt: expiresAt, lastUsedAt: lastUsedAt)
            tokens.append((token, PageCursor(createdAtMicros: micros, id: id)))
        }
        return tokens
    }
}

import Foundation
import Logging
import PostgresNIO
import Tenancy

/// Where a request came from, for the audit log.
public struct RequestOrigin: Sendable, Equatable {
    public var ip: String
    public var userAgent: String

    public init(ip: String = "", userAgent: String = "") {
        self.ip = ip
        self.userAgent = userAgent
    }
}

/// Sessions behind browser cookies and bearer tokens: created at login, checked on every
/// request, ended by logout, idle time or absolute lifetime.
public struct SessionStore: Sendable {
    /// How long a session lives: `idleTimeout` since its last use, `absoluteLifetime` at most.
    public struct Lifetimes: Sendable {
        public var idleTimeout: TimeInterval
        public var absoluteLifetime: TimeInterval

        public init(idleTimeout: TimeInterval = 24 * 3600, absoluteLifetime: TimeInterval = 14 * 24 * 3600) {
            self.idleTimeout = idleTimeout
            self.absoluteLifetime = absoluteLifetime
        }
    }

    /// A session as its owner sees it in the list of their sessions.
    public struct Session: Sendable, Equatable, Codable {
        public let id: UUID
        public let createdAt: Date
        public let lastSeenAt: Date
        public let expiresAt: Date
        public let ip: String
        public let userAgent: String
    }

    let database: Database
    public let lifetimes: Lifetimes

    public init(database: Database, lifetimes: Lifetimes = Lifetimes()) {
        self.database = database
        self.lifetimes = lifetimes
    }

    /// Starts a session for `userID`, inside the caller's tenant transaction.
    func create(userID: UUID, ip: String, userAgent: String, in transaction: TenantTransaction) async throws -> (token: OpaqueToken, expiresAt: Date) {
        let token = OpaqueToken(.session, tenantID: transaction.tenantID)
        let expiresAt = Date().addingTimeInterval(lifetimes.absoluteLifetime)
        try await transaction.query("""
            INSERT INTO sessions (tenant_id, user_id, token_hash, expires_at, ip, user_agent)
            VALUES (\(transaction.tenantID), \(userID), \(token.hash), \(expiresAt), \(ip), \(String(userAgent.prefix(500))))
            """)
        return (token, expiresAt)
    }

    /// The principal behind a presented token, or `nil` when the token is unknown, revoked,
    /// expired (idle or absolute), or its user is disabled. Refreshes the idle clock.
    public func authenticate(_ presented: String) async throws -> Principal? {
        guard let token = OpaqueToken(parsing: presented), token.kind == .session else { return nil }
        let idle = lifetimes.idleTimeout
        return try await database.withTenant(token.tenantID) { tx in
            let rows = try await tx.query("""
                SELECT s.id, s.user_id, r.permissions, coalesce(r.builtin = 'owner', false),
                       ts.require_two_factor_for_admins AND u.totp_enabled_at IS NULL
                FROM sessions s
                JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
                JOIN roles r ON r.tenant_id = u.tenant_id AND r.id = u.role_id
                JOIN tenants t ON t.id = s.tenant_id
                JOIN tenant_settings ts ON ts.tenant_id = s.tenant_id
                WHERE s.token_hash = \(token.hash) AND s.revoked_at IS NULL AND s.expires_at > now()
                  AND s.last_seen_at > now() - make_interval(secs => \(idle))
                  AND u.status = 'active' AND t.status = 'active'
                """)
            for try await (sessionID, userID, names, isOwner, lacksSecondFactor) in rows.decode((UUID, UUID, [String], Bool, Bool).self) {
                // Refresh at most once a minute: a write per request would cost more than it tells.
                try await tx.query("""
                    UPDATE sessions SET last_seen_at = now()
                    WHERE tenant_id = \(tx.tenantID) AND id = \(sessionID) AND last_seen_at < now() - interval '1 minute'
                    """)
                let permissions = Permission.set(names)
                return Principal(
                    tenantID: tx.tenantID, userID: userID, credential: .session(sessionID), permissions: permissions, isOwner: isOwner,
                    twoFactorEnrolmentRequired: lacksSecondFactor && permissions.contains(where: \.isAdministrative))
            }
            return nil
        }
    }

    /// The caller's live sessions, newest first.
    public func list(for principal: Principal) async throws -> [Session] {
        try await database.withTenant(principal.tenantID) { tx in
            let rows = try await tx.query("""
                SELECT id, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions
                WHERE user_id = \(principal.userID) AND revoked_at IS NULL AND expires_at > now()
                ORDER BY created_at DESC
                """)
            var sessions: [Session] = []
            for try await (id, created, seen, expires, ip, agent) in rows.decode((UUID, Date, Date, Date, String, String).self) {
                sessions.append(Session(id: id, createdAt: created, lastSeenAt: seen, expiresAt: expires, ip: ip, userAgent: agent))
            }
            return sessions
        }
    }

    /// Revokes one of the caller's own sessions (audited as a logout when it is the current one);
    /// false when there is no such live session.
    @discardableResult
    public func revoke(_ sessionID: UUID, of principal: Principal, origin: RequestOrigin = .init()) async throws -> Bool {
        try await database.withTenant(principal.tenantID) { tx in
            let rows = try await tx.query("""
                UPDATE sessions SET revoked_at = now()
                WHERE user_id = \(principal.userID) AND id = \(sessionID) AND revoked_at IS NULL RETURNING id
                """)
            var revoked = false
            for try await _ in rows.decode(UUID.self) { revoked = true }
            if revoked {
                try await AuditLog.append(AuditEvent(
                    action: sessionID == principal.sessionID ? "auth.logout" : "session.revoked", actor: principal.actor,
                    targetType: "session", targetID: sessionID.uuidString.lowercased(), ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return revoked
        }
    }

    /// Revokes every session of the caller (logout everywhere); returns how many.
    @discardableResult
    public func revokeAll(of principal: Principal, origin: RequestOrigin = .init()) async throws -> Int {
        try await database.withTenant(principal.tenantID) { tx in
            let rows = try await tx.query("""
                WITH revoked AS (UPDATE sessions SET revoked_at = now() WHERE user_id = \(principal.userID) AND revoked_at IS NULL RETURNING 1)
                SELECT count(*)::int FROM revoked
                """)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            try await AuditLog.append(AuditEvent(
                action: "auth.logout_all", actor: principal.actor, targetType: "user",
                targetID: principal.userID.uuidString.lowercased(), changes: ["sessions": .init(from: String(count), to: "0")],
                ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return count
        }
    }
}

extension SessionStore {
    /// Ends every session of `userID` inside the caller's transaction (the user was disabled,
    /// or their password was changed); returns how many.
    @discardableResult
    static func revokeAll(userID: UUID, except keep: UUID? = nil, in tx: TenantTransaction) async throws -> Int {
        let rows = try await tx.query("""
            WITH revoked AS (
                UPDATE sessions SET revoked_at = now()
                WHERE user_id = \(userID) AND revoked_at IS NULL AND id IS DISTINCT FROM \(keep) RETURNING 1)
            SELECT count(*)::int FROM revoked
            """)
        var count = 0
        for try await value in rows.decode(Int.self) { count = value }
        return count
    }
}

import Foundation
import Logging
import PostgresNIO
import Tenancy

/// Password login. An unknown tenant, an unknown email and a wrong password give the same
/// answer after the same work (a dummy hash is verified), so the answer reveals nothing.
public struct LoginService: Sendable {
    public struct Result: Sendable {
        public let token: SessionToken
        public let expiresAt: Date
        public let user: User
    }

    let database: Database
    let hasher: PasswordHasher
    let sessions: SessionStore
    let throttle: LoginThrottle

    public init(database: Database, hasher: PasswordHasher, sessions: SessionStore, throttle: LoginThrottle = LoginThrottle()) {
        self.database = database
        self.hasher = hasher
        self.sessions = sessions
        self.throttle = throttle
    }

    /// Checks the credentials and starts a session.
    /// Throws `AccountError.invalidCredentials` or `.accountDisabled`, or
    /// `LoginThrottle.Throttled` (without checking the password) after too many failures.
    public func login(tenantSlug: String, email: String, password: String, ip: String, userAgent: String) async throws -> Result {
        try throttle.check(tenant: tenantSlug, email: email, ip: ip)
        do {
            let result = try await attempt(tenantSlug: tenantSlug, email: email, password: password, ip: ip, userAgent: userAgent)
            throttle.recordSuccess(tenant: tenantSlug, email: email)
            return result
        } catch AccountError.invalidCredentials {
            throttle.recordFailure(tenant: tenantSlug, email: email, ip: ip)
            throw AccountError.invalidCredentials
        }
    }

    private func attempt(tenantSlug: String, email: String, password: String, ip: String, userAgent: String) async throws -> Result {
        guard let tenant = try await TenantDirectory(database: database).find(slug: tenantSlug.lowercased()), tenant.status == "active" else {
            try await hasher.verifyAgainstDummy(password)
            throw AccountError.invalidCredentials
        }
        let stored = try await database.withTenant(tenant.id) { tx in
            let rows = try await tx.query("SELECT id, password_hash FROM users WHERE lower(email) = lower(\(email))")
            for try await row in rows.decode((UUID, String).self) { return Optional(row) }
            return nil
        }
        let attempt = AuditEvent(action: "auth.login_failed", actor: .system, targetType: "email",
                                 targetID: email.lowercased(), ip: ip, userAgent: userAgent)
        guard let (userID, passwordHash) = stored else {
            try await hasher.verifyAgainstDummy(password)
            try await AuditLog(database: database).append(attempt, tenantID: tenant.id)
            throw AccountError.invalidCredentials
        }
        guard try await hasher.verify(password, against: passwordHash) else {
            var failed = attempt
            failed.actor = .user(userID)
            try await AuditLog(database: database).append(failed, tenantID: tenant.id)
            throw AccountError.invalidCredentials
        }
        let rehashed = hasher.needsRehash(passwordHash) ? try await hasher.hash(password) : nil
        let sessions = sessions
        return try await database.withTenant(tenant.id) { tx in
            if let rehashed {
                try await tx.query("UPDATE users SET password_hash = \(rehashed) WHERE id = \(userID)")
            }
            let rows = try await tx.query("SELECT \(unescaped: AccountDirectory.userColumns) FROM users WHERE id = \(userID)")
            guard let user = try await AccountDirectory.decodeUsers(rows).first else { throw AccountError.invalidCredentials }
            guard user.status == "active" else { throw AccountError.accountDisabled }
            let (token, expiresAt) = try await sessions.create(userID: user.id, ip: ip, userAgent: userAgent, in: tx)
            try await AuditLog.append(
                AuditEvent(action: "auth.login", actor: .user(user.id), targetType: "user", targetID: user.id.uuidString.lowercased(),
                           changes: rehashed == nil ? [:] : ["password_hash": .redacted], ip: ip, userAgent: userAgent),
                in: tx)
            return Result(token: token, expiresAt: expiresAt, user: user)
        }
    }
}

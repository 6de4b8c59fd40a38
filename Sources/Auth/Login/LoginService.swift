import Foundation
import Logging
import PostgresNIO
import Tenancy

/// Password login. An unknown tenant, an unknown email and a wrong password give the same
/// answer after the same work (a dummy hash is verified), so the answer reveals nothing.
public struct LoginService: Sendable {
    public struct Result: Sendable {
        public let token: OpaqueToken
        public let expiresAt: Date
        public let user: User
    }

    let database: Database
    let hasher: PasswordHasher
    let sessions: SessionStore
    let throttle: LoginThrottle
    /// Opens the TOTP seeds a second factor is checked against.
    let secrets: SecretBox

    public init(database: Database, hasher: PasswordHasher, sessions: SessionStore, secrets: SecretBox, throttle: LoginThrottle = LoginThrottle()) {
        self.database = database
        self.hasher = hasher
        self.sessions = sessions
        self.secrets = secrets
        self.throttle = throttle
    }

    /// Checks the credentials and starts a session.
    /// Throws `AccountError.invalidCredentials` or `.accountDisabled`, or
    /// `LoginThrottle.Throttled` (without checking the password) after too many failures.
    /// An account with two-factor authentication also needs `totp`: the authenticator's current
    /// code (each accepted once) or one of its unused recovery codes.
    public func login(tenantSlug: String, email: String, password: String, totp: String? = nil, ip: String, userAgent: String) async throws -> Result {
        try throttle.check(tenant: tenantSlug, email: email, ip: ip)
        do {
            let result = try await attempt(tenantSlug: tenantSlug, email: email, password: password, totp: totp, ip: ip, userAgent: userAgent)
            throttle.recordSuccess(tenant: tenantSlug, email: email)
            return result
        } catch let error as AccountError where error == .invalidCredentials || error == .secondFactorInvalid {
            throttle.recordFailure(tenant: tenantSlug, email: email, ip: ip)
            throw error
        }
    }

    private func attempt(tenantSlug: String, email: String, password: String, totp: String?, ip: String, userAgent: String) async throws -> Result {
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
        let secrets = secrets
        do {
            return try await database.withTenant(tenant.id) { tx in
                if let rehashed {
                    try await tx.query("UPDATE users SET password_hash = \(rehashed) WHERE id = \(userID)")
                }
                let rows = try await tx.query("SELECT \(unescaped: AccountDirectory.userColumns) FROM users WHERE id = \(userID)")
                guard let user = try await AccountDirectory.decodeUsers(rows).first else { throw AccountError.invalidCredentials }
                guard user.status == "active" else { throw AccountError.accountDisabled }
                var changes: [String: AuditChange] = rehashed == nil ? [:] : ["password_hash": .redacted]
                if user.twoFactorEnabled {
                    guard let totp, !totp.isEmpty else { throw AccountError.secondFactorRequired }
                    let method = try await TwoFactorService.verifyAtLogin(userID: userID, code: totp, secrets: secrets, in: tx, now: Date())
                    changes["secondFactor"] = .init(from: nil, to: method.rawValue)
                }
                let (token, expiresAt) = try await sessions.create(userID: user.id, ip: ip, userAgent: userAgent, in: tx)
                try await AuditLog.append(
                    AuditEvent(action: "auth.login", actor: .user(user.id), targetType: "user", targetID: user.id.uuidString.lowercased(),
                               changes: changes, ip: ip, userAgent: userAgent),
                    in: tx)
                return Result(token: token, expiresAt: expiresAt, user: user)
            }
        } catch AccountError.secondFactorInvalid {
            var failed = attempt
            failed.action = "auth.second_factor_failed"
            failed.actor = .user(userID)
            try await AuditLog(database: database).append(failed, tenantID: tenant.id)
            throw AccountError.secondFactorInvalid
        }
    }
}

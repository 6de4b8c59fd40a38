import Foundation
import PostgresNIO
import Tenancy

/// A user's second factor: TOTP enrolment (confirmed by a first code), single-use recovery
/// codes, and the check at login. Every change is audited. TOTP seeds are stored sealed
/// (`secrets`), never in the clear.
public struct TwoFactorService: Sendable {
    public static let issuer = "Kefu"

    /// The confirmed seed, which login checks codes against.
    public static let secretColumn = SecretColumn(table: "users", name: "totp_secret", plaintext: .bytea(column: "totp_secret"))
    /// An enrolment's seed until its first code confirms it.
    public static let pendingSecretColumn = SecretColumn(
        table: "users", name: "totp_pending_secret", plaintext: .bytea(column: "totp_pending_secret"))

    let database: Database
    let hasher: PasswordHasher
    let secrets: SecretBox

    public init(database: Database, hasher: PasswordHasher, secrets: SecretBox) {
        self.database = database
        self.hasher = hasher
        self.secrets = secrets
    }

    /// What an authenticator app needs to enrol: the secret and the `otpauth://` URI.
    public struct Enrolment: Sendable, Equatable {
        public let secret: String
        public let uri: String
    }

    /// How a login's second factor was given.
    enum Method: String {
        case totp
        case recoveryCode = "recovery_code"
    }

    /// Starts (or restarts) an enrolment; nothing changes for login until `confirm`.
    public func begin(for caller: Principal) async throws -> Enrolment {
        let totp = TOTP.generate()
        let sealed = try secrets.seal(totp.secret, at: Self.pendingSecretColumn.location(tenantID: caller.tenantID, rowID: caller.userID))
        return try await database.withTenant(caller.tenantID) { tx in
            let user = try await UserAdministration.load(caller.userID, in: tx)
            guard !user.twoFactorEnabled else {
                throw AdministrationError.twoFactorState("two-factor authentication is already on; turn it off first to enrol again")
            }
            try await tx.query("""
                UPDATE users SET totp_pending_secret_sealed = \(sealed.ciphertext), totp_pending_secret_key_id = \(sealed.keyID),
                    totp_pending_secret = NULL
                WHERE id = \(caller.userID)
                """)
            return Enrolment(secret: totp.base32Secret, uri: totp.provisioningURI(issuer: Self.issuer, account: user.email))
        }
    }

    /// Confirms the pending enrolment with a current code; returns the recovery codes, shown once.
    public func confirm(code: String, for caller: Principal, origin: RequestOrigin, now: Date = Date()) async throws -> [String] {
        try await database.withTenant(caller.tenantID) { tx in
            let rows = try await tx.query("""
                SELECT totp_pending_secret_sealed, totp_pending_secret_key_id, totp_enabled_at IS NOT NULL FROM users
                WHERE id = \(caller.userID) FOR UPDATE
                """)
            var pending: SealedSecret?
            for try await (ciphertext, keyID, enabled) in rows.decode((Data?, String?, Bool).self) {
                if enabled { throw AdministrationError.twoFactorState("two-factor authentication is already on") }
                pending = SealedSecret(ciphertext: ciphertext, keyID: keyID)
            }
            guard let pending else { throw AdministrationError.twoFactorState("start an enrolment first (POST /api/v1/me/two-factor)") }
            let secret = try secrets.open(pending, at: Self.pendingSecretColumn.location(tenantID: tx.tenantID, rowID: caller.userID))
            guard let step = TOTP(secret: secret).acceptedStep(for: code, at: now, after: nil) else {
                throw InvalidFields(field: "code", message: "is not the authenticator's current code")
            }
            // Sealed again for the confirmed column: the pending ciphertext is bound to its own.
            let sealed = try secrets.seal(secret, at: Self.secretColumn.location(tenantID: tx.tenantID, rowID: caller.userID))
            try await tx.query("""
                UPDATE users SET totp_secret_sealed = \(sealed.ciphertext), totp_secret_key_id = \(sealed.keyID), totp_secret = NULL,
                    totp_pending_secret_sealed = NULL, totp_pending_secret_key_id = NULL, totp_pending_secret = NULL,
                    totp_enabled_at = now(), totp_last_step = \(step), updated_at = now()
                WHERE id = \(caller.userID)
                """)
            let codes = try await Self.replaceRecoveryCodes(of: caller.userID, in: tx)
            try await AuditLog.append(AuditEvent(
                action: "user.two_factor_enabled", actor: caller.actor, targetType: "user", targetID: caller.userID.lowercased,
                changes: ["totpSecret": .redacted, "recoveryCodes": .redacted], ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return codes
        }
    }

    /// Turns the second factor off after re-checking the password. Refused while the tenant
    /// requires it for the caller's role.
    public func disable(password: String, for caller: Principal, origin: RequestOrigin) async throws {
        try await verifyPassword(password, of: caller)
        try await database.withTenant(caller.tenantID) { tx in
            let rows = try await tx.query("""
                SELECT u.totp_enabled_at IS NOT NULL, ts.require_two_factor_for_admins, r.permissions
                FROM users u JOIN roles r ON r.tenant_id = u.tenant_id AND r.id = u.role_id
                JOIN tenant_settings ts ON ts.tenant_id = u.tenant_id
                WHERE u.id = \(caller.userID) FOR UPDATE OF u
                """)
            for try await (enabled, required, permissions) in rows.decode((Bool, Bool, [String]).self) {
                guard enabled else { throw AdministrationError.twoFactorState("two-factor authentication is not on") }
                if required && Permission.set(permissions).contains(where: \.isAdministrative) {
                    throw AdministrationError.twoFactorRequired
                }
            }
            try await tx.query("""
                UPDATE users SET totp_secret_sealed = NULL, totp_secret_key_id = NULL, totp_secret = NULL,
                    totp_pending_secret_sealed = NULL, totp_pending_secret_key_id = NULL, totp_pending_secret = NULL,
                    totp_enabled_at = NULL, totp_last_step = NULL, updated_at = now()
                WHERE id = \(caller.userID)
                """)
            try await tx.query("DELETE FROM recovery_codes WHERE user_id = \(caller.userID)")
            try await AuditLog.append(AuditEvent(
                action: "user.two_factor_disabled", actor: caller.actor, targetType: "user", targetID: caller.userID.lowercased,
                ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    /// Replaces the recovery codes after re-checking the password; returns the new ones, shown once.
    public func regenerateRecoveryCodes(password: String, for caller: Principal, origin: RequestOrigin) async throws -> [String] {
        try await verifyPassword(password, of: caller)
        return try await database.withTenant(caller.tenantID) { tx in
            let user = try await UserAdministration.load(caller.userID, in: tx)
            guard user.twoFactorEnabled else { throw AdministrationError.twoFactorState("two-factor authentication is not on") }
            let codes = try await Self.replaceRecoveryCodes(of: caller.userID, in: tx)
            try await AuditLog.append(AuditEvent(
                action: "user.recovery_codes_regenerated", actor: caller.actor, targetType: "user", targetID: caller.userID.lowercased,
                changes: ["recoveryCodes": .redacted], ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return codes
        }
    }

    /// How many unused recovery codes the caller has left.
    public func remainingRecoveryCodes(for caller: Principal) async throws -> Int {
        try await database.withTenant(caller.tenantID) { tx in
            var count = 0
            for try await value in try await tx.query("SELECT count(*)::int FROM recovery_codes WHERE user_id = \(caller.userID) AND used_at IS NULL").decode(Int.self) {
                count = value
            }
            return count
        }
    }

    // MARK: - Login

    /// Checks a login's second factor — a TOTP code newer than the last one accepted, or an
    /// unused recovery code — and uses it up. The user row is locked, so two logins racing
    /// with the same code cannot both pass.
    static func verifyAtLogin(userID: UUID, code: String, secrets: SecretBox, in tx: TenantTransaction, now: Date) async throws -> Method {
        if RecoveryCodes.looksLikeOne(code) {
            let rows = try await tx.query("""
                UPDATE recovery_codes SET used_at = now()
                WHERE user_id = \(userID) AND code_hash = \(RecoveryCodes.hash(code)) AND used_at IS NULL RETURNING 1
                """)
            for try await _ in rows.decode(Int.self) { return .recoveryCode }
            throw AccountError.secondFactorInvalid
        }
        let rows = try await tx.query("SELECT totp_secret_sealed, totp_secret_key_id, totp_last_step FROM users WHERE id = \(userID) FOR UPDATE")
        var stored: (SealedSecret, Int64?)?
        for try await (ciphertext, keyID, lastStep) in rows.decode((Data?, String?, Int64?).self) {
            stored = SealedSecret(ciphertext: ciphertext, keyID: keyID).map { ($0, lastStep) }
        }
        guard let (sealed, lastStep) = stored else { throw AccountError.secondFactorInvalid }
        let secret = try secrets.open(sealed, at: secretColumn.location(tenantID: tx.tenantID, rowID: userID))
        guard let step = TOTP(secret: secret).acceptedStep(for: code, at: now, after: lastStep) else { throw AccountError.secondFactorInvalid }
        try await tx.query("UPDATE users SET totp_last_step = \(step) WHERE id = \(userID)")
        return .totp
    }

    // MARK: - Helpers

    static func replaceRecoveryCodes(of userID: UUID, in tx: TenantTransaction) async throws -> [String] {
        let codes = RecoveryCodes.generate()
        try await tx.query("DELETE FROM recovery_codes WHERE user_id = \(userID)")
        let hashes = codes.map { RecoveryCodes.hash($0).map { String(format: "%02x", $0) }.joined() }
        try await tx.query("""
            INSERT INTO recovery_codes (tenant_id, user_id, code_hash)
            SELECT \(tx.tenantID), \(userID), decode(hash, 'hex') FROM unnest(\(hashes)::text[]) AS hash
            """)
        return codes
    }

    private func verifyPassword(_ password: String, of caller: Principal) async throws {
        let stored = try await database.withTenant(caller.tenantID) { tx in
            var hash: String?
            for try await value in try await tx.query("SELECT password_hash FROM users WHERE id = \(caller.userID)").decode(String.self) { hash = value }
            return hash
        }
        guard let stored, try await hasher.verify(password, against: stored) else {
            throw InvalidFields(field: "password", message: "is not your current password")
        }
    }
}

import Foundation
import PostgresNIO
import Tenancy

extension AccountDirectory {
    /// Changes the caller's own password after checking the current one. Every other session
    /// of the user ends; the one making the change stays signed in. Audited, the secret redacted.
    public func changePassword(current: String, new: String, for caller: Principal, origin: RequestOrigin) async throws {
        let (email, stored) = try await database.withTenant(caller.tenantID) { tx in
            for try await row in try await tx.query("SELECT email, password_hash FROM users WHERE id = \(caller.userID)").decode((String, String).self) {
                return row
            }
            throw AdministrationError.notFound("user")
        }
        guard try await hasher.verify(current, against: stored) else {
            throw InvalidFields(field: "currentPassword", message: "is not your current password")
        }
        do {
            try policy.check(new, email: email)
        } catch let violation as PasswordPolicy.Violation {
            throw InvalidFields(field: "newPassword", message: violation.description)
        }
        let hash = try await hasher.hash(new)
        try await database.withTenant(caller.tenantID) { tx in
            try await tx.query("UPDATE users SET password_hash = \(hash), password_changed_at = now(), updated_at = now() WHERE id = \(caller.userID)")
            let ended = try await SessionStore.revokeAll(userID: caller.userID, except: caller.sessionID, in: tx)
            try await AuditLog.append(AuditEvent(
                action: "user.password_changed", actor: caller.actor, targetType: "user", targetID: caller.userID.lowercased,
                changes: ["password": .redacted, "otherSessionsEnded": .init(from: nil, to: String(ended))],
                ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }
}

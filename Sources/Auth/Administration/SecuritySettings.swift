import Foundation
import PostgresNIO
import Tenancy

/// A tenant's security settings.
public struct SecuritySettings: Sendable, Equatable, Codable {
    /// Users whose role holds an administrative permission must enrol in 2FA before using it.
    public var requireTwoFactorForAdmins: Bool

    public init(requireTwoFactorForAdmins: Bool) {
        self.requireTwoFactorForAdmins = requireTwoFactorForAdmins
    }
}

/// Reads and changes `SecuritySettings` (`settings.manage`). Changes are audited.
public struct SecuritySettingsStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func get(tenantID: UUID) async throws -> SecuritySettings {
        try await database.withTenant(tenantID) { tx in try await Self.load(in: tx) }
    }

    /// Changes the settings. Requiring 2FA is refused until the caller has it themselves, so an
    /// administrator cannot lock themselves out of their own permissions by accident.
    public func update(requireTwoFactorForAdmins: Bool?, by caller: Principal, origin: RequestOrigin) async throws -> SecuritySettings {
        try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.load(in: tx, lock: true)
            var after = before
            if let requireTwoFactorForAdmins { after.requireTwoFactorForAdmins = requireTwoFactorForAdmins }
            guard after != before else { return before }
            if after.requireTwoFactorForAdmins {
                let caller = try await UserAdministration.load(caller.userID, in: tx)
                guard caller.twoFactorEnabled else { throw AdministrationError.enrolTwoFactorFirst }
            }
            try await tx.query("""
                UPDATE tenant_settings SET require_two_factor_for_admins = \(after.requireTwoFactorForAdmins), updated_at = now()
                """)
            try await AuditLog.append(AuditEvent(
                action: "settings.updated", actor: caller.actor, targetType: "settings", targetID: "security",
                changes: ["requireTwoFactorForAdmins": .init(from: String(before.requireTwoFactorForAdmins), to: String(after.requireTwoFactorForAdmins))],
                ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return after
        }
    }

    static func load(in tx: TenantTransaction, lock: Bool = false) async throws -> SecuritySettings {
        let rows = try await tx.query("SELECT require_two_factor_for_admins FROM tenant_settings \(unescaped: lock ? "FOR UPDATE" : "")")
        for try await required in rows.decode(Bool.self) { return SecuritySettings(requireTwoFactorForAdmins: required) }
        throw AdministrationError.notFound("settings")
    }
}

import Auth
import Foundation
import PostgresNIO
import Tenancy

/// A tenant's conversation settings (columns of `tenant_settings`).
public struct ConversationSettings: Sendable, Equatable, Codable {
    public var roundRobin = false
    public var maxMessageBytes = 4096
    public var autoResolveMinutes = 1440
    public var reopenWindowMinutes = 1440

    public init() {}

    public static let messageBytesRange = 64...65536
    public static let minutesRange = 0...525_600

    static func load(in tx: TenantTransaction, lock: Bool = false) async throws -> ConversationSettings {
        var settings = ConversationSettings()
        let rows = try await tx.query("""
            SELECT assignment_mode, max_message_bytes, auto_resolve_minutes, reopen_window_minutes FROM tenant_settings
            \(unescaped: lock ? "FOR UPDATE" : "")
            """)
        for try await (mode, maxBytes, autoResolve, reopen) in rows.decode((String, Int, Int, Int).self) {
            settings.roundRobin = mode == "round_robin"
            settings.maxMessageBytes = maxBytes
            settings.autoResolveMinutes = autoResolve
            settings.reopenWindowMinutes = reopen
        }
        return settings
    }
}

/// Reads and changes a tenant's `ConversationSettings` (`settings.manage`); changes are audited.
public struct ConversationSettingsStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func get(tenantID: UUID) async throws -> ConversationSettings {
        try await database.withTenant(tenantID) { tx in try await ConversationSettings.load(in: tx) }
    }

    /// Applies the given changes (nil leaves a setting) after checking each against its range.
    public func update(roundRobin: Bool?, maxMessageBytes: Int?, autoResolveMinutes: Int?, reopenWindowMinutes: Int?,
                       by caller: Principal, origin: RequestOrigin) async throws -> ConversationSettings {
        if let maxMessageBytes, !ConversationSettings.messageBytesRange.contains(maxMessageBytes) {
            throw InvalidFields(field: "maxMessageBytes", message: "expected 64 to 65536 bytes")
        }
        for (field, value) in [("autoResolveMinutes", autoResolveMinutes), ("reopenWindowMinutes", reopenWindowMinutes)] {
            if let value, !ConversationSettings.minutesRange.contains(value) {
                throw InvalidFields(field: field, message: "expected 0 to 525600 minutes (0 turns it off)")
            }
        }
        return try await database.withTenant(caller.tenantID) { tx in
            let before = try await ConversationSettings.load(in: tx, lock: true)
            var after = before
            after.roundRobin = roundRobin ?? before.roundRobin
            after.maxMessageBytes = maxMessageBytes ?? before.maxMessageBytes
            after.autoResolveMinutes = autoResolveMinutes ?? before.autoResolveMinutes
            after.reopenWindowMinutes = reopenWindowMinutes ?? before.reopenWindowMinutes
            guard after != before else { return before }
            try await tx.query("""
                UPDATE tenant_settings SET assignment_mode = \(after.roundRobin ? "round_robin" : "least_busy"),
                    max_message_bytes = \(after.maxMessageBytes), auto_resolve_minutes = \(after.autoResolveMinutes),
                    reopen_window_minutes = \(after.reopenWindowMinutes), updated_at = now()
                """)
            var changes: [String: AuditChange] = [:]
            func note<Value: CustomStringConvertible & Equatable>(_ name: String, _ old: Value, _ new: Value) {
                if old != new { changes[name] = AuditChange(from: old.description, to: new.description) }
            }
            note("roundRobin", before.roundRobin, after.roundRobin)
            note("maxMessageBytes", before.maxMessageBytes, after.maxMessageBytes)
            note("autoResolveMinutes", before.autoResolveMinutes, after.autoResolveMinutes)
            note("reopenWindowMinutes", before.reopenWindowMinutes, after.reopenWindowMinutes)
            try await AuditLog.append(AuditEvent(
                action: "settings.updated", actor: caller.actor, targetType: "settings", targetID: "conversations",
                changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return after
        }
    }
}

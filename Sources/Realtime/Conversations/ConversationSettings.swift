import Foundation
import PostgresNIO
import Tenancy

/// A tenant's conversation settings (columns of `tenant_settings`).
public struct ConversationSettings: Sendable, Equatable {
    public var roundRobin = false
    public var maxMessageBytes = 4096
    public var autoResolveMinutes = 1440
    public var reopenWindowMinutes = 1440

    public init() {}

    static func load(in tx: TenantTransaction) async throws -> ConversationSettings {
        var settings = ConversationSettings()
        let rows = try await tx.query("""
            SELECT assignment_mode, max_message_bytes, auto_resolve_minutes, reopen_window_minutes FROM tenant_settings
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

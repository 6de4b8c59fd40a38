import Foundation
import Tenancy

/// What a page may learn about a widget from its public key alone, before any socket: enough
/// for the launcher to draw itself (name, colour, side) and to say whether anyone is there.
public struct WidgetFront: Sendable {
    let database: Database
    let secrets: SecretBox
    let maximumUploadBytes: Int

    public init(database: Database, secrets: SecretBox, maximumUploadBytes: Int) {
        self.database = database
        self.secrets = secrets
        self.maximumUploadBytes = maximumUploadBytes
    }

    /// A widget's public face. Nothing secret: no identity secret, no allowed origins.
    public struct Config: Encodable, Sendable, Equatable {
        public let name: String
        public let greeting: String
        public let themeColor: String
        public let position: String
        /// `false` outside the widget's business hours; always `true` without them.
        public let online: Bool
        /// Some agent who could take the conversation (of the widget's team, or any) is online now.
        public let agentsOnline: Bool
        public let offlineBehavior: String
        public let preChatFields: [Widget.PreChatField]
        /// The largest file a visitor may upload (`KEFU_MAX_UPLOAD_BYTES`).
        public let maxUploadBytes: Int
        /// New conversations start with the bot now (no offline form; "talk to a human" offered).
        public let bot: Bool
    }

    /// The public face of the widget `publicKey` names, or nil for no such widget.
    public func config(publicKey: String) async throws -> Config? {
        guard let (tenantID, widget) = try await VisitorDirectory(database: database).widget(publicKey: publicKey, secrets: secrets) else { return nil }
        let (agentsOnline, withBot) = try await database.withTenant(tenantID) { tx in
            let agentsOnline = try await Self.agentsOnline(teamID: widget.teamID, in: tx)
            guard widget.botAnswers(at: Date()) else { return (agentsOnline, false) }
            return (agentsOnline, try await BotProviderStore.hasProvider(widget.bot.providerID, in: tx))
        }
        return Config(widget, agentsOnline: agentsOnline, maxUploadBytes: maximumUploadBytes, bot: withBot)
    }

    /// Whether `publicKey` names a widget (one indexed read, no secret opened).
    public func exists(publicKey: String) async throws -> Bool {
        try await VisitorDirectory(database: database).allowedOrigins(publicKey: publicKey) != nil
    }

    /// The public key of the first widget of the tenant `slug` (the demo page's widget), or nil.
    public func firstWidgetKey(tenantSlug slug: String) async throws -> String? {
        guard let tenant = try await TenantDirectory(database: database).find(slug: slug) else { return nil }
        return try await database.withTenant(tenant.id) { tx in
            let rows = try await tx.query("SELECT public_key FROM widgets ORDER BY created_at, id LIMIT 1")
            for try await key in rows.decode(String.self) { return key }
            return nil
        }
    }

    /// Whether an active agent of `teamID` (any agent when nil) is online with a fresh heartbeat.
    static func agentsOnline(teamID: UUID?, in tx: TenantTransaction) async throws -> Bool {
        let rows = try await tx.query("""
            SELECT EXISTS (
                SELECT 1 FROM agent_presence p JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id
                WHERE p.status = 'online' AND p.heartbeat_at > now() - make_interval(secs => \(AgentCapacity.presenceExpirySeconds))
                  AND u.status = 'active'
                  AND (\(teamID)::uuid IS NULL OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = \(teamID) AND m.user_id = p.user_id)))
            """)
        for try await online in rows.decode(Bool.self) { return online }
        return false
    }
}

extension WidgetFront.Config {
    /// `bot`: the bot takes new conversations now (the widget says so and a provider exists).
    init(_ widget: Widget, agentsOnline: Bool, maxUploadBytes: Int, bot: Bool, at date: Date = Date()) {
        self.init(name: widget.name, greeting: widget.greeting, themeColor: widget.themeColor, position: widget.position.rawValue,
                  online: widget.businessHours?.isOpen(at: date) ?? true, agentsOnline: agentsOnline,
                  offlineBehavior: widget.offlineBehavior.rawValue, preChatFields: widget.preChatFields, maxUploadBytes: maxUploadBytes,
                  bot: bot)
    }
}

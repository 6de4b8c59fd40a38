import Auth
import Crypto
import Foundation
import PostgresNIO
import Tenancy

/// A tenant's widgets as administrators manage them (`widgets.manage`). Every change is
/// validated whole before anything is written, and audited (the identity secret redacted).
/// The identity secret is stored sealed (`secrets`), never in the clear.
public struct WidgetStore: Sendable {
    /// Where the identity secret is stored, sealed.
    public static let identitySecretColumn = SecretColumn(
        table: "widgets", name: "identity_secret", plaintext: .text(column: "identity_secret"), whenLost: .replaceWithRandomHex(bytes: 32))

    let database: Database
    let secrets: SecretBox

    public init(database: Database, secrets: SecretBox) {
        self.database = database
        self.secrets = secrets
    }

    /// The settings of a widget; on update, `nil` fields stay as they are.
    public struct Settings: Sendable {
        public var name: String?
        public var allowedOrigins: [String]?
        public var greeting: String?
        /// `.some(nil)` clears the hours (always open).
        public var businessHours: Widget.BusinessHours??
        public var offlineBehavior: Widget.OfflineBehavior?
        /// `.some(nil)` routes to every agent.
        public var teamID: UUID??
        public var themeColor: String?
        public var position: Widget.Position?
        public var preChatFields: [Widget.PreChatField]?
        public var botEnabled: Bool?
        /// `.some(nil)` answers with the tenant's default provider.
        public var botProviderID: UUID??
        public var botOutsideHours: Widget.Bot.OutsideHours?
        public var botVisitorFields: [String]?
        public var rotateIdentitySecret = false

        public init(name: String? = nil, allowedOrigins: [String]? = nil, greeting: String? = nil,
                    businessHours: Widget.BusinessHours?? = nil, offlineBehavior: Widget.OfflineBehavior? = nil, teamID: UUID?? = nil,
                    themeColor: String? = nil, position: Widget.Position? = nil, preChatFields: [Widget.PreChatField]? = nil,
                    rotateIdentitySecret: Bool = false) {
            self.name = name
            self.allowedOrigins = allowedOrigins
            self.greeting = greeting
            self.businessHours = businessHours
            self.offlineBehavior = offlineBehavior
            self.teamID = teamID
            self.themeColor = themeColor
            self.position = position
            self.preChatFields = preChatFields
            self.rotateIdentitySecret = rotateIdentitySecret
        }
    }

    public func list(page: PageRequest, tenantID: UUID) async throws -> Page<Widget> {
        try await database.keysetPage(page, tenantID: tenantID, columns: Self.columns, from: "widgets") { rows in
            try await Self.decode(rows, tenantID: tenantID, secrets: secrets)
        }
    }

    public func get(_ id: UUID, tenantID: UUID) async throws -> Widget {
        try await database.withTenant(tenantID) { tx in try await Self.load(id, secrets: secrets, in: tx) }
    }

    /// Creates a widget; `name` and `allowedOrigins` are required, the rest have defaults.
    public func create(_ settings: Settings, by caller: Principal, origin: RequestOrigin) async throws -> Widget {
        guard let name = settings.name else { throw InvalidFields(field: "name", message: "is required") }
        guard let origins = settings.allowedOrigins else { throw InvalidFields(field: "allowedOrigins", message: "is required") }
        var widget = Widget(
            id: UUID(), name: name, publicKey: Self.newPublicKey(tenantID: caller.tenantID), identitySecret: Self.newSecret(),
            allowedOrigins: origins.map(WidgetValidation.normalizedOrigin), greeting: settings.greeting ?? "",
            businessHours: settings.businessHours ?? nil, offlineBehavior: settings.offlineBehavior ?? .leaveMessage,
            teamID: settings.teamID ?? nil, themeColor: settings.themeColor?.lowercased() ?? "#1f6feb",
            preChatFields: settings.preChatFields ?? [], createdAt: Date(), position: settings.position ?? .right)
        widget.bot = Widget.Bot(enabled: settings.botEnabled ?? false, providerID: settings.botProviderID ?? nil,
                                outsideHours: settings.botOutsideHours ?? .answer, visitorFields: settings.botVisitorFields ?? [])
        try WidgetValidation.validate(widget)
        let sealed = try sealSecret(of: widget, tenantID: caller.tenantID)
        return try await database.withTenant(caller.tenantID) { tx in
            try await Self.checkTeam(widget.teamID, in: tx)
            try await Self.checkProvider(widget.bot.providerID, in: tx)
            for try await id in try await tx.query("""
                INSERT INTO widgets (tenant_id, id, name, public_key, identity_secret_sealed, identity_secret_key_id, allowed_origins, greeting,
                                     business_hours, offline_behavior, team_id, theme_color, position, pre_chat_fields,
                                     bot_enabled, bot_provider_id, bot_outside_hours, bot_visitor_fields)
                VALUES (\(tx.tenantID), \(widget.id), \(widget.name), \(widget.publicKey), \(sealed.ciphertext), \(sealed.keyID), \(widget.allowedOrigins),
                        \(widget.greeting), \(try Self.json(widget.businessHours))::jsonb, \(widget.offlineBehavior.rawValue),
                        \(widget.teamID), \(widget.themeColor), \(widget.position.rawValue), \(try Self.json(widget.preChatFields))::jsonb,
                        \(widget.bot.enabled), \(widget.bot.providerID), \(widget.bot.outsideHours.rawValue), \(widget.bot.visitorFields))
                RETURNING id
                """).decode(UUID.self) {
                widget = try await Self.load(id, secrets: secrets, in: tx)
            }
            try await AuditLog.append(AuditEvent(
                action: "widget.created", actor: caller.actor, targetType: "widget", targetID: widget.id.uuidString.lowercased(),
                changes: Self.differences(nil, widget), ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return widget
        }
    }

    public func update(_ id: UUID, _ settings: Settings, by caller: Principal, origin: RequestOrigin) async throws -> Widget {
        try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.load(id, secrets: secrets, in: tx, lock: true)
            var after = before
            if let name = settings.name { after.name = name }
            if let origins = settings.allowedOrigins { after.allowedOrigins = origins.map(WidgetValidation.normalizedOrigin) }
            if let greeting = settings.greeting { after.greeting = greeting }
            if let hours = settings.businessHours { after.businessHours = hours }
            if let behavior = settings.offlineBehavior { after.offlineBehavior = behavior }
            if let team = settings.teamID { after.teamID = team }
            if let color = settings.themeColor { after.themeColor = color.lowercased() }
            if let position = settings.position { after.position = position }
            if let fields = settings.preChatFields { after.preChatFields = fields }
            if let enabled = settings.botEnabled { after.bot.enabled = enabled }
            if let provider = settings.botProviderID { after.bot.providerID = provider }
            if let outsideHours = settings.botOutsideHours { after.bot.outsideHours = outsideHours }
            if let fields = settings.botVisitorFields { after.bot.visitorFields = fields }
            if settings.rotateIdentitySecret { after.identitySecret = Self.newSecret() }
            try WidgetValidation.validate(after)
            try await Self.checkTeam(after.teamID, in: tx)
            try await Self.checkProvider(after.bot.providerID, in: tx)
            let sealed = try sealSecret(of: after, tenantID: tx.tenantID)
            try await tx.query("""
                UPDATE widgets SET name = \(after.name), identity_secret_sealed = \(sealed.ciphertext), identity_secret_key_id = \(sealed.keyID),
                    identity_secret = NULL, allowed_origins = \(after.allowedOrigins),
                    greeting = \(after.greeting), business_hours = \(try Self.json(after.businessHours))::jsonb,
                    offline_behavior = \(after.offlineBehavior.rawValue), team_id = \(after.teamID), theme_color = \(after.themeColor), position = \(after.position.rawValue),
                    pre_chat_fields = \(try Self.json(after.preChatFields))::jsonb, bot_enabled = \(after.bot.enabled),
                    bot_provider_id = \(after.bot.providerID), bot_outside_hours = \(after.bot.outsideHours.rawValue),
                    bot_visitor_fields = \(after.bot.visitorFields), updated_at = now()
                WHERE id = \(id)
                """)
            let changes = Self.differences(before, after)
            if !changes.isEmpty {
                try await AuditLog.append(AuditEvent(
                    action: "widget.updated", actor: caller.actor, targetType: "widget", targetID: id.uuidString.lowercased(),
                    changes: changes, ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return after
        }
    }

    public func delete(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let widget = try await Self.load(id, secrets: secrets, in: tx, lock: true)
            try await tx.query("DELETE FROM widgets WHERE id = \(id)")
            try await AuditLog.append(AuditEvent(
                action: "widget.deleted", actor: caller.actor, targetType: "widget", targetID: id.uuidString.lowercased(),
                changes: ["name": .init(from: widget.name, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    // MARK: - Helpers

    static let columns = """
        id, name, public_key, identity_secret_sealed, identity_secret_key_id, allowed_origins, greeting, business_hours::text, offline_behavior, team_id,
        theme_color, position, pre_chat_fields::text, created_at, (extract(epoch FROM created_at) * 1000000)::bigint,
        bot_enabled, bot_provider_id, bot_outside_hours, bot_visitor_fields
        """

    static func load(_ id: UUID, secrets: SecretBox, in tx: TenantTransaction, lock: Bool = false) async throws -> Widget {
        let rows = try await tx.query("SELECT \(unescaped: columns) FROM widgets WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        guard let widget = try await decode(rows, tenantID: tx.tenantID, secrets: secrets).first?.item else { throw RealtimeError.widgetNotFound }
        return widget
    }

    /// Rows selected with `columns`, the identity secret opened.
    static func decode(_ rows: PostgresRowSequence, tenantID: UUID, secrets: SecretBox) async throws -> [(item: Widget, cursor: PageCursor)] {
        var widgets: [(item: Widget, cursor: PageCursor)] = []
        let decoder = JSONDecoder()
        for try await row in rows {
            let (id, name, key, ciphertext, keyID, origins, greeting, hours, behavior, team, color, position, fields, createdAt, micros)
                = try row.decode((UUID, String, String, Data, String, [String], String, String?, String, UUID?, String, String, String, Date, Int64).self)
            let columns = row.makeRandomAccess()
            let bot = Widget.Bot(enabled: try columns[15].decode(Bool.self), providerID: try columns[16].decode(UUID?.self),
                                 outsideHours: Widget.Bot.OutsideHours(rawValue: try columns[17].decode(String.self)) ?? .answer,
                                 visitorFields: try columns[18].decode([String].self))
            let secret = try secrets.openText(
                SealedSecret(keyID: keyID, ciphertext: ciphertext), at: identitySecretColumn.location(tenantID: tenantID, rowID: id))
            var widget = Widget(
                id: id, name: name, publicKey: key, identitySecret: secret, allowedOrigins: origins, greeting: greeting,
                businessHours: try hours.map { try decoder.decode(Widget.BusinessHours.self, from: Data($0.utf8)) },
                offlineBehavior: Widget.OfflineBehavior(rawValue: behavior) ?? .leaveMessage, teamID: team, themeColor: color,
                preChatFields: try decoder.decode([Widget.PreChatField].self, from: Data(fields.utf8)), createdAt: createdAt,
                position: Widget.Position(rawValue: position) ?? .right)
            widget.bot = bot
            widgets.append((widget, PageCursor(createdAtMicros: micros, id: id)))
        }
        return widgets
    }

    func sealSecret(of widget: Widget, tenantID: UUID) throws -> SealedSecret {
        try secrets.seal(Data(widget.identitySecret.utf8), at: Self.identitySecretColumn.location(tenantID: tenantID, rowID: widget.id))
    }

    static func checkProvider(_ providerID: UUID?, in tx: TenantTransaction) async throws {
        guard let providerID else { return }
        for try await count in try await tx.query("SELECT count(*)::int FROM llm_providers WHERE id = \(providerID)").decode(Int.self) where count == 0 {
            throw InvalidFields(field: "bot.providerId", message: "is not an LLM provider of this tenant")
        }
    }

    static func checkTeam(_ teamID: UUID?, in tx: TenantTransaction) async throws {
        guard let teamID else { return }
        for try await count in try await tx.query("SELECT count(*)::int FROM teams WHERE id = \(teamID)").decode(Int.self) where count == 0 {
            throw InvalidFields(field: "teamId", message: "is not a team of this tenant")
        }
    }

    static func json<Value: Encodable>(_ value: Value?) throws -> String? {
        guard let value else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func differences(_ before: Widget?, _ after: Widget) -> [String: AuditChange] {
        var changes: [String: AuditChange] = [:]
        func note(_ field: String, _ old: String?, _ new: String?) {
            if old != new { changes[field] = .init(from: old, to: new) }
        }
        note("name", before?.name, after.name)
        note("allowedOrigins", before?.allowedOrigins.joined(separator: " "), after.allowedOrigins.joined(separator: " "))
        note("greeting", before?.greeting, after.greeting)
        note("businessHours", (try? json(before?.businessHours)) ?? nil, (try? json(after.businessHours)) ?? nil)
        note("offlineBehavior", before?.offlineBehavior.rawValue, after.offlineBehavior.rawValue)
        note("teamId", before?.teamID?.uuidString.lowercased(), after.teamID?.uuidString.lowercased())
        note("themeColor", before?.themeColor, after.themeColor)
        note("position", before?.position.rawValue, after.position.rawValue)
        note("preChatFields", (try? json(before?.preChatFields)) ?? nil, (try? json(after.preChatFields)) ?? nil)
        note("bot", before.map { describe($0.bot) }, describe(after.bot))
        if before?.identitySecret != after.identitySecret { changes["identitySecret"] = .redacted }
        return changes
    }

    static func describe(_ bot: Widget.Bot) -> String {
        "\(bot.enabled ? "on" : "off"), provider \(bot.providerID?.lowercased ?? "default"), outside hours \(bot.outsideHours.rawValue)"
            + (bot.visitorFields.isEmpty ? "" : ", visitor fields \(bot.visitorFields.joined(separator: " "))")
    }

    static func newPublicKey(tenantID: UUID) -> String {
        "kfw_" + TenantKey.make(tenantID: tenantID, randomBytes: 16)
    }

    static func newSecret() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }
}

import Auth
import Foundation
import Hummingbird
import Realtime

/// `/api/v1/widgets`: chat widgets, managed with `widgets.manage`.
///
/// The identity-verification secret is shown once, in the answer that creates or rotates it;
/// lists and reads leave it out. Seeing it again takes an explicit reveal, which is audited.
public struct WidgetsController: Sendable {
    let widgets: WidgetStore
    let audit: AuditLog
    let maxBodyBytes: Int

    public init(widgets: WidgetStore, audit: AuditLog, maxBodyBytes: Int) {
        self.widgets = widgets
        self.audit = audit
        self.maxBodyBytes = maxBodyBytes
    }

    struct WidgetView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let name: String
        let publicKey: String
        /// Only in the answer that created or rotated it.
        let identitySecret: String?
        let allowedOrigins: [String]
        let greeting: String
        let businessHours: Widget.BusinessHours?
        let offlineBehavior: Widget.OfflineBehavior
        let teamId: UUID?
        let themeColor: String
        let position: Widget.Position
        let preChatFields: [Widget.PreChatField]
        let bot: BotView
        let createdAt: Date

        struct BotView: Codable, Sendable {
            let enabled: Bool
            let providerId: UUID?
            let outsideHours: Widget.Bot.OutsideHours
            let visitorFields: [String]
        }

        init(_ widget: Widget, showingSecret: Bool = false) {
            id = widget.id
            name = widget.name
            publicKey = widget.publicKey
            identitySecret = showingSecret ? widget.identitySecret : nil
            allowedOrigins = widget.allowedOrigins
            greeting = widget.greeting
            businessHours = widget.businessHours
            offlineBehavior = widget.offlineBehavior
            teamId = widget.teamID
            themeColor = widget.themeColor
            position = widget.position
            preChatFields = widget.preChatFields
            bot = BotView(enabled: widget.bot.enabled, providerId: widget.bot.providerID, outsideHours: widget.bot.outsideHours,
                          visitorFields: widget.bot.visitorFields)
            createdAt = widget.createdAt
        }
    }

    /// Create and change share one body; on change an explicit `null` clears `businessHours`
    /// or `teamId`, an absent field leaves it.
    struct SettingsRequest: APIRequestBody {
        var settings = WidgetStore.Settings()

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, allowedOrigins, greeting, businessHours, offlineBehavior, teamId, themeColor, position, preChatFields, bot, rotateIdentitySecret
        }

        /// `bot`: any of its fields; `providerId: null` answers with the tenant's default.
        struct BotSettings: Decodable {
            var enabled: Bool?
            var providerID: UUID??
            var outsideHours: Widget.Bot.OutsideHours?
            var visitorFields: [String]?

            enum CodingKeys: String, CodingKey, CaseIterable { case enabled, providerId, outsideHours, visitorFields }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: AnyKey.self)
                let known = Set(CodingKeys.allCases.map(\.stringValue))
                if let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
                    throw DecodingError.dataCorruptedError(forKey: unknown, in: container, debugDescription: "unknown field")
                }
                let fields = try decoder.container(keyedBy: CodingKeys.self)
                enabled = try fields.decodeIfPresent(Bool.self, forKey: .enabled)
                if fields.contains(.providerId) { providerID = .some(try fields.decodeIfPresent(UUID.self, forKey: .providerId)) }
                outsideHours = try fields.decodeIfPresent(Widget.Bot.OutsideHours.self, forKey: .outsideHours)
                visitorFields = try fields.decodeIfPresent([String].self, forKey: .visitorFields)
            }

            struct AnyKey: CodingKey {
                let stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            settings.name = try container.decodeIfPresent(String.self, forKey: .name)
            settings.allowedOrigins = try container.decodeIfPresent([String].self, forKey: .allowedOrigins)
            settings.greeting = try container.decodeIfPresent(String.self, forKey: .greeting)
            if container.contains(.businessHours) {
                settings.businessHours = .some(try container.decodeIfPresent(Widget.BusinessHours.self, forKey: .businessHours))
            }
            settings.offlineBehavior = try container.decodeIfPresent(Widget.OfflineBehavior.self, forKey: .offlineBehavior)
            if container.contains(.teamId) {
                settings.teamID = .some(try container.decodeIfPresent(UUID.self, forKey: .teamId))
            }
            settings.themeColor = try container.decodeIfPresent(String.self, forKey: .themeColor)
            settings.position = try container.decodeIfPresent(Widget.Position.self, forKey: .position)
            settings.preChatFields = try container.decodeIfPresent([Widget.PreChatField].self, forKey: .preChatFields)
            if let bot = try container.decodeIfPresent(BotSettings.self, forKey: .bot) {
                settings.botEnabled = bot.enabled
                settings.botProviderID = bot.providerID
                settings.botOutsideHours = bot.outsideHours
                settings.botVisitorFields = bot.visitorFields
            }
            settings.rotateIdentitySecret = try container.decodeIfPresent(Bool.self, forKey: .rotateIdentitySecret) ?? false
        }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "widgets", access: .permission(.widgetsManage), use: list)
        group.on(.post, "widgets", access: .permission(.widgetsManage), use: create)
        group.on(.get, "widgets/{id}", access: .permission(.widgetsManage), use: get)
        group.on(.patch, "widgets/{id}", access: .permission(.widgetsManage), use: update)
        group.on(.delete, "widgets/{id}", access: .permission(.widgetsManage), use: delete)
        group.on(.post, "widgets/{id}/reveal-identity-secret", access: .permission(.widgetsManage), use: revealIdentitySecret)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<WidgetView> {
        let principal = try context.requirePrincipal()
        return PageView(try await widgets.list(page: try request.pageRequest(), tenantID: principal.tenantID)) { WidgetView($0) }
    }

    @Sendable func create(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(SettingsRequest.self, limit: maxBodyBytes)
        let widget = try await widgets.create(body.settings, by: principal, origin: context.origin(request))
        var response = try WidgetView(widget, showingSecret: true).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/widgets/\(widget.id.uuidString.lowercased())"
        return response
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> WidgetView {
        let principal = try context.requirePrincipal()
        return WidgetView(try await widgets.get(try context.id(), tenantID: principal.tenantID))
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> WidgetView {
        let principal = try context.requirePrincipal()
        let id = try context.id()
        let body = try await request.decodeJSON(SettingsRequest.self, limit: maxBodyBytes)
        let widget = try await widgets.update(id, body.settings, by: principal, origin: context.origin(request))
        return WidgetView(widget, showingSecret: body.settings.rotateIdentitySecret)
    }

    struct RevealedSecret: ResponseEncodable {
        let identitySecret: String
    }

    /// Shows the identity secret again, once the reveal is in the audit log.
    @Sendable func revealIdentitySecret(request: Request, context: KefuRequestContext) async throws -> RevealedSecret {
        let principal = try context.requirePrincipal()
        let widget = try await widgets.get(try context.id(), tenantID: principal.tenantID)
        let origin = context.origin(request)
        try await audit.append(AuditEvent(
            action: "widget.identity_secret_revealed", actor: principal.actor, targetType: "widget",
            targetID: widget.id.uuidString.lowercased(), ip: origin.ip, userAgent: origin.userAgent), tenantID: principal.tenantID)
        return RevealedSecret(identitySecret: widget.identitySecret)
    }

    @Sendable func delete(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await widgets.delete(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    static let hoursSchema: JSONValue = [
        "type": ["object", "null"], "required": ["timeZone", "weekly"],
        "description": "Weekly opening hours; null means always open",
        "properties": [
            "timeZone": ["type": "string", "examples": ["Asia/Shanghai"]],
            "weekly": ["type": "array", "items": [
                "type": "object", "required": ["day", "open", "close"],
                "properties": [
                    "day": ["type": "integer", "minimum": 1, "maximum": 7, "description": "1 = Monday … 7 = Sunday"],
                    "open": ["type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"], "close": ["type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"],
                ],
            ]],
        ],
    ]

    static let fieldsSchema: JSONValue = ["type": "array", "maxItems": 10, "items": [
        "type": "object", "required": ["name", "label", "type", "required"],
        "properties": [
            "name": ["type": "string", "pattern": "^[a-z0-9_]{1,32}$"], "label": ["type": "string", "maxLength": 100],
            "type": ["type": "string", "enum": ["text", "email", "phone"]], "required": ["type": "boolean"],
        ],
    ]]

    static let settingsProperties: [String: JSONValue] = [
        "name": ["type": "string", "maxLength": 100],
        "allowedOrigins": ["type": "array", "items": ["type": "string"], "description": "Origins like https://shop.example; \"*\" allows any"],
        "greeting": ["type": "string", "maxLength": 500], "businessHours": hoursSchema,
        "offlineBehavior": ["type": "string", "enum": ["leave_message", "hide"]],
        "teamId": ["type": ["string", "null"], "format": "uuid"], "themeColor": ["type": "string", "pattern": "^#[0-9a-fA-F]{6}$"],
        "position": ["type": "string", "enum": ["right", "left"], "description": "The side of the page the launcher sits on; right by default"],
        "preChatFields": fieldsSchema,
        "bot": ["type": "object", "additionalProperties": false, "description": "New conversations start with the bot (an LLM provider of the tenant) when enabled", "properties": [
            "enabled": ["type": "boolean", "default": false],
            "providerId": ["type": ["string", "null"], "format": "uuid", "description": "null: the tenant's default provider"],
            "outsideHours": ["type": "string", "enum": ["answer", "offline"], "default": "answer",
                             "description": "Outside business hours: the bot answers, or the widget behaves as without a bot"],
            "visitorFields": ["type": "array", "maxItems": 20, "items": ["type": "string"], "default": [],
                              "description": "The visitor's profile fields the bot may tell its provider: name, email, phone, language, pageUrl, attributes.KEY. None by default"],
        ]],
    ]

    static let widgetSchema: JSONValue = [
        "type": "object",
        "required": ["id", "name", "publicKey", "allowedOrigins", "greeting", "offlineBehavior", "themeColor", "position", "preChatFields", "bot", "createdAt"],
        "properties": .object(settingsProperties.merging([
            "id": ["type": "string", "format": "uuid"], "publicKey": ["type": "string", "description": "Embedded in the site's page"],
            "identitySecret": ["type": "string", "description": "Signs user ids (HMAC-SHA256, hex) for identity verification; keep it on the server. Only in the answer that creates the widget or rotates the secret; see reveal-identity-secret"],
            "createdAt": ["type": "string", "format": "date-time"],
        ]) { $1 }),
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/widgets": [
            "get": OpenAPIDocument.operation(
                "listWidgets", "The tenant's chat widgets in creation order", tag: "widgets", access: .permission(.widgetsManage),
                parameters: OpenAPIDocument.pageParameters,
                responses: ["200": OpenAPIDocument.json("A page of widgets", PageView<WidgetView>.schema(widgetSchema)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createWidget", "Create a chat widget", tag: "widgets", access: .permission(.widgetsManage),
                body: ["type": "object", "additionalProperties": false, "required": ["name", "allowedOrigins"], "properties": .object(settingsProperties)],
                responses: ["201": OpenAPIDocument.json("Created", widgetSchema)]),
        ],
        "/api/v1/widgets/{id}": [
            "get": OpenAPIDocument.operation(
                "getWidget", "One widget", tag: "widgets", access: .permission(.widgetsManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The widget", widgetSchema), "404": OpenAPIDocument.problem]),
            "patch": OpenAPIDocument.operation(
                "updateWidget", "Change a widget; rotateIdentitySecret issues a new identity secret, shown in this answer only", tag: "widgets",
                access: .permission(.widgetsManage), parameters: [OpenAPIDocument.idParameter],
                body: ["type": "object", "additionalProperties": false,
                       "properties": .object(settingsProperties.merging(["rotateIdentitySecret": ["type": "boolean"]]) { $1 })],
                responses: ["200": OpenAPIDocument.json("The changed widget", widgetSchema), "404": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteWidget", "Delete a widget", tag: "widgets", access: .permission(.widgetsManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem]),
        ],
        "/api/v1/widgets/{id}/reveal-identity-secret": [
            "post": OpenAPIDocument.operation(
                "revealWidgetIdentitySecret", "Show the widget's identity secret again; the reveal is recorded in the audit log (widget.identity_secret_revealed)",
                tag: "widgets", access: .permission(.widgetsManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The secret", [
                    "type": "object", "required": ["identitySecret"], "properties": ["identitySecret": ["type": "string"]],
                ]), "404": OpenAPIDocument.problem]),
        ],
    ]
}

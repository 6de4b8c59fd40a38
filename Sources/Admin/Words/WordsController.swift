import Auth
import Foundation
import Hummingbird
import NIOPosix
import Realtime
import Tenancy

/// `/api/v1/words`: the tenant's sensitive-word rules, managed with `words.manage`, and a dry
/// run of what they make of a text (`POST /api/v1/words/test`).
public struct WordsController: Sendable {
    let rules: WordRuleStore
    let maxBodyBytes: Int

    public init(rules: WordRuleStore, maxBodyBytes: Int) {
        self.rules = rules
        self.maxBodyBytes = maxBodyBytes
    }

    struct RuleView: ResponseEncodable, Codable, Sendable {
        let id: UUID
        let pattern: String
        let action: WordAction
        let category: String
        let senders: [WordSender]
        let enabled: Bool
        let exceptions: [String]

        init(_ rule: WordRule) {
            id = rule.id
            pattern = rule.pattern
            action = rule.action
            category = rule.category
            senders = WordSender.allCases.filter(rule.senders.contains)
            enabled = rule.enabled
            exceptions = rule.exceptions
        }
    }

    /// Create and change share one body; absent fields keep their value (or default on create).
    struct FieldsRequest: APIRequestBody {
        var fields = WordRuleStore.Fields()

        enum CodingKeys: String, CodingKey, CaseIterable {
            case pattern, action, category, senders, enabled, exceptions
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            fields.pattern = try container.decodeIfPresent(String.self, forKey: .pattern)
            fields.action = try container.decodeIfPresent(WordAction.self, forKey: .action)
            fields.category = try container.decodeIfPresent(String.self, forKey: .category)
            fields.senders = try container.decodeIfPresent([WordSender].self, forKey: .senders).map(Set.init)
            fields.enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
            fields.exceptions = try container.decodeIfPresent([String].self, forKey: .exceptions)
        }
    }

    struct TestRequest: APIRequestBody {
        let text: String
        let sender: WordSender

        enum CodingKeys: String, CodingKey, CaseIterable { case text, sender }
    }

    struct TestView: ResponseEncodable {
        struct Match: Encodable {
            let ruleId: UUID
            let category: String
            let action: WordAction
            let start: Int
            let end: Int
        }

        /// `none` when nothing matched.
        let action: String
        /// As it would be stored; null when blocked.
        let text: String?
        let matches: [Match]

        enum CodingKeys: String, CodingKey { case action, text, matches }

        // `text` is always present: null says "blocked", which an absent key would not.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(action, forKey: .action)
            try container.encode(text, forKey: .text)
            try container.encode(matches, forKey: .matches)
        }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "words", access: .permission(.wordsManage), use: list)
        group.on(.post, "words", access: .permission(.wordsManage), use: create)
        group.on(.post, "words/test", access: .permission(.wordsManage), use: test)
        group.on(.get, "words/{id}", access: .permission(.wordsManage), use: get)
        group.on(.patch, "words/{id}", access: .permission(.wordsManage), use: update)
        group.on(.delete, "words/{id}", access: .permission(.wordsManage), use: delete)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> PageView<RuleView> {
        let principal = try context.requirePrincipal()
        let search = request.formParameter("q").flatMap { $0.isEmpty ? nil : $0 }
        return PageView(try await rules.list(page: try request.pageRequest(), search: search, tenantID: principal.tenantID), RuleView.init)
    }

    @Sendable func create(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(FieldsRequest.self, limit: maxBodyBytes)
        let rule = try await rules.create(body.fields, by: principal, origin: context.origin(request))
        var response = try RuleView(rule).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/words/\(rule.id.uuidString.lowercased())"
        return response
    }

    @Sendable func get(request: Request, context: KefuRequestContext) async throws -> RuleView {
        let principal = try context.requirePrincipal()
        return RuleView(try await rules.get(try context.id(), tenantID: principal.tenantID))
    }

    @Sendable func update(request: Request, context: KefuRequestContext) async throws -> RuleView {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(FieldsRequest.self, limit: maxBodyBytes)
        return RuleView(try await rules.update(try context.id(), body.fields, by: principal, origin: context.origin(request)))
    }

    @Sendable func delete(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await rules.delete(try context.id(), by: principal, origin: context.origin(request))
        return Response(status: .noContent)
    }

    /// What the tenant's rules make of a text, without storing anything: the matcher messages use.
    @Sendable func test(request: Request, context: KefuRequestContext) async throws -> TestView {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(TestRequest.self, limit: maxBodyBytes)
        let verdict = try await rules.dryRun(body.text, sender: body.sender, tenantID: principal.tenantID)
        return TestView(action: verdict.action?.rawValue ?? "none", text: verdict.text, matches: verdict.matches.map {
            TestView.Match(ruleId: $0.ruleID, category: $0.category, action: $0.action, start: $0.start, end: $0.end)
        })
    }

    static let ruleProperties: [String: JSONValue] = [
        "pattern": ["type": "string", "maxLength": 200, "description": "Literal text; matched folded (width, case, traditional characters, digit variants), separators between its characters skipped. Unique per tenant once folded"],
        "action": ["type": "string", "enum": ["block", "mask", "flag"]],
        "category": ["type": "string", "maxLength": 50, "description": "default when absent"],
        "senders": ["type": "array", "items": ["type": "string", "enum": ["visitor", "agent", "bot"]], "description": "all three when absent"],
        "enabled": ["type": "boolean"],
        "exceptions": ["type": "array", "maxItems": 20, "items": ["type": "string", "maxLength": 200], "description": "Longer words containing the pattern that are fine"],
    ]

    static let ruleSchema: JSONValue = [
        "type": "object", "required": ["id", "pattern", "action", "category", "senders", "enabled", "exceptions"],
        "properties": .object(ruleProperties.merging(["id": ["type": "string", "format": "uuid"]]) { $1 }),
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/words": [
            "get": OpenAPIDocument.operation(
                "listWordRules", "The tenant's sensitive-word rules in creation order; q narrows to patterns or categories containing it",
                tag: "words", access: .permission(.wordsManage),
                parameters: OpenAPIDocument.pageParameters + [["name": "q", "in": "query", "schema": ["type": "string"]]],
                responses: ["200": OpenAPIDocument.json("A page of rules", PageView<RuleView>.schema(ruleSchema)), "422": OpenAPIDocument.problem]),
            "post": OpenAPIDocument.operation(
                "createWordRule", "Create a rule", tag: "words", access: .permission(.wordsManage),
                body: ["type": "object", "additionalProperties": false, "required": ["pattern", "action"], "properties": .object(ruleProperties)],
                responses: ["201": OpenAPIDocument.json("Created", ruleSchema), "409": OpenAPIDocument.problem, "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/words/test": [
            "post": OpenAPIDocument.operation(
                "testWordRules", "What the rules make of a text, as a message from sender: nothing is stored", tag: "words",
                access: .permission(.wordsManage),
                body: ["type": "object", "additionalProperties": false, "required": ["text", "sender"], "properties": [
                    "text": ["type": "string"], "sender": ["type": "string", "enum": ["visitor", "agent", "bot"]],
                ]],
                responses: ["200": OpenAPIDocument.json("The verdict", [
                    "type": "object", "required": ["action", "text", "matches"], "properties": [
                        "action": ["type": "string", "enum": ["block", "mask", "flag", "none"]],
                        "text": ["type": ["string", "null"], "description": "As it would be stored; null when blocked"],
                        "matches": ["type": "array", "items": [
                            "type": "object", "required": ["ruleId", "category", "action", "start", "end"], "properties": [
                                "ruleId": ["type": "string", "format": "uuid"], "category": ["type": "string"],
                                "action": ["type": "string", "enum": ["block", "mask", "flag"]],
                                "start": ["type": "integer", "description": "Offset in Unicode scalars of the text"],
                                "end": ["type": "integer", "description": "Exclusive"],
                            ],
                        ]],
                    ],
                ]), "422": OpenAPIDocument.problem]),
        ],
        "/api/v1/words/{id}": [
            "get": OpenAPIDocument.operation(
                "getWordRule", "One rule", tag: "words", access: .permission(.wordsManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["200": OpenAPIDocument.json("The rule", ruleSchema), "404": OpenAPIDocument.problem]),
            "patch": OpenAPIDocument.operation(
                "updateWordRule", "Change a rule", tag: "words", access: .permission(.wordsManage), parameters: [OpenAPIDocument.idParameter],
                body: ["type": "object", "additionalProperties": false, "properties": .object(ruleProperties)],
                responses: ["200": OpenAPIDocument.json("The changed rule", ruleSchema), "404": OpenAPIDocument.problem, "409": OpenAPIDocument.problem]),
            "delete": OpenAPIDocument.operation(
                "deleteWordRule", "Delete a rule", tag: "words", access: .permission(.wordsManage), parameters: [OpenAPIDocument.idParameter],
                responses: ["204": ["description": "Deleted"], "404": OpenAPIDocument.problem]),
        ],
    ]
}

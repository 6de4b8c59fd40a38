import Auth
import Foundation
import Hummingbird

/// `GET /api/v1/audit` (filtered, newest first, paged by `before`) and `GET /api/v1/audit/verify`.
public struct AuditController: Sendable {
    let log: AuditLog
    let verifier: AuditVerifier

    public init(log: AuditLog, verifier: AuditVerifier) {
        self.log = log
        self.verifier = verifier
    }

    struct EntryView: Codable {
        struct Actor: Codable {
            let type: String
            let id: UUID?
        }
        struct Target: Codable {
            let type: String
            let id: String
        }
        let seq: Int64
        let occurredAt: Date
        let actor: Actor
        let ip: String
        let userAgent: String
        let action: String
        let target: Target
        let changes: [String: AuditChange]
        let hash: String
    }

    struct Page: ResponseEncodable {
        let items: [EntryView]
        /// Pass as `before` to get the next (older) page; absent on the last page.
        let nextCursor: String?
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.get, "audit", access: .permission(.auditRead), use: list)
        group.on(.get, "audit/verify", access: .permission(.auditRead), use: verify)
    }

    @Sendable func list(request: Request, context: KefuRequestContext) async throws -> Page {
        let principal = try context.requirePrincipal()
        let parameters = request.uri.queryParameters
        var query = AuditLog.Query()
        var errors: [APIError.FieldError] = []
        if let limit = parameters["limit"] {
            if let value = Int(limit), (1...200).contains(value) { query.limit = value } else { errors.append(.init(field: "limit", message: "expected an integer from 1 to 200")) }
        }
        if let before = parameters["before"] {
            if let value = Int64(before), value > 0 { query.beforeSeq = value } else { errors.append(.init(field: "before", message: "expected a cursor from nextCursor")) }
        }
        if let action = parameters["action"] { query.action = String(action) }
        if let actor = parameters["actor"] {
            if let id = UUID(uuidString: String(actor)) { query.actorID = id } else { errors.append(.init(field: "actor", message: "expected a user or token id")) }
        }
        for (name, keyPath) in [("since", \AuditLog.Query.since), ("until", \AuditLog.Query.until)] {
            guard let text = parameters[Substring(name)] else { continue }
            if let date = try? Date(String(text), strategy: .iso8601) { query[keyPath: keyPath] = date } else { errors.append(.init(field: name, message: "expected an ISO 8601 time")) }
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        let entries = try await log.entries(tenantID: principal.tenantID, matching: query)
        let items = entries.map { entry in
            EntryView(
                seq: entry.seq, occurredAt: entry.occurredAt,
                actor: .init(type: entry.actor.typeName, id: entry.actor.userOrTokenID), ip: entry.ip, userAgent: entry.userAgent,
                action: entry.action, target: .init(type: entry.targetType, id: entry.targetID),
                changes: (try? JSONDecoder().decode([String: AuditChange].self, from: Data(entry.changes.utf8))) ?? [:],
                hash: entry.hash.map { String(format: "%02x", $0) }.joined())
        }
        let next = entries.count == query.limit ? entries.last.map { String($0.seq) } : nil
        return Page(items: items, nextCursor: next)
    }

    @Sendable func verify(request: Request, context: KefuRequestContext) async throws -> AuditVerifier.Report {
        try await verifier.verify(tenantID: context.requirePrincipal().tenantID)
    }

    static let entrySchema: JSONValue = [
        "type": "object",
        "required": ["seq", "occurredAt", "actor", "ip", "userAgent", "action", "target", "changes", "hash"],
        "properties": [
            "seq": ["type": "integer"], "occurredAt": ["type": "string", "format": "date-time"],
            "actor": ["type": "object", "properties": ["type": ["type": "string", "enum": ["user", "token", "system"]], "id": ["type": ["string", "null"]]]],
            "ip": ["type": "string"], "userAgent": ["type": "string"], "action": ["type": "string"],
            "target": ["type": "object", "properties": ["type": ["type": "string"], "id": ["type": "string"]]],
            "changes": ["type": "object", "additionalProperties": [
                "type": "object", "properties": ["from": ["type": ["string", "null"]], "to": ["type": ["string", "null"]]],
            ]],
            "hash": ["type": "string", "description": "hex SHA-256 of the entry, chained (docs/audit.md)"],
        ],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/audit": [
            "get": [
                "operationId": "listAuditEntries", "summary": "The tenant's audit log, newest first", "tags": ["audit"],
                "x-permission": "audit.read", "security": OpenAPIDocument.signedIn,
                "parameters": [
                    ["name": "action", "in": "query", "schema": ["type": "string"]],
                    ["name": "actor", "in": "query", "schema": ["type": "string", "format": "uuid"]],
                    ["name": "since", "in": "query", "schema": ["type": "string", "format": "date-time"]],
                    ["name": "until", "in": "query", "schema": ["type": "string", "format": "date-time"]],
                    ["name": "before", "in": "query", "description": "nextCursor of the previous page", "schema": ["type": "string"]],
                    ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 200, "default": 50]],
                ],
                "responses": OpenAPIDocument.signedInResponses([
                    "200": ["description": "A page of entries", "content": ["application/json": ["schema": [
                        "type": "object", "required": ["items"],
                        "properties": ["items": ["type": "array", "items": entrySchema], "nextCursor": ["type": "string"]],
                    ]]]],
                    "422": ["$ref": "#/components/responses/Problem"],
                ]),
            ],
        ],
        "/api/v1/audit/verify": [
            "get": [
                "operationId": "verifyAuditLog", "summary": "Verify the tenant's hash chain and signed checkpoints", "tags": ["audit"],
                "x-permission": "audit.read", "security": OpenAPIDocument.signedIn,
                "responses": OpenAPIDocument.signedInResponses([
                    "200": ["description": "The verification report", "content": ["application/json": ["schema": [
                        "type": "object", "required": ["ok", "entries", "headSeq", "checkpointsVerified"],
                        "properties": [
                            "ok": ["type": "boolean"], "entries": ["type": "integer"], "headSeq": ["type": "integer"],
                            "checkpointsVerified": ["type": "integer"], "firstBadSeq": ["type": "integer"], "reason": ["type": "string"],
                        ],
                    ]]]],
                ]),
            ],
        ],
    ]
}

extension AuditVerifier.Report: ResponseEncodable {}

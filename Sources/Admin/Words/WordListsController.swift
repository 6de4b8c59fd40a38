import Foundation
import Hummingbird
import NIOPosix
import Realtime
import Tenancy

/// `/api/v1/words/import` and `/api/v1/words/export`: a tenant's rules as a file (`words.manage`),
/// one pattern a line (`text/plain`) or CSV (`text/csv`, see `WordList`).
public struct WordListsController: Sendable {
    let rules: WordRuleStore
    /// The largest list accepted: 100,000 rules of CSV take about 4 MB.
    let maxImportBytes: Int

    public init(rules: WordRuleStore, maxImportBytes: Int = 16 << 20) {
        self.rules = rules
        self.maxImportBytes = maxImportBytes
    }

    struct ReportView: ResponseEncodable {
        struct Line: Encodable {
            let line: Int
            let message: String
        }

        let added: Int
        let updated: Int
        let unchanged: Int
        let invalid: Int
        /// The invalid lines (the first 1,000).
        let invalidLines: [Line]

        init(_ report: WordImportReport) {
            added = report.added
            updated = report.updated
            unchanged = report.unchanged
            invalid = report.invalid.count
            invalidLines = report.invalid.prefix(1000).map { Line(line: $0.line, message: $0.message) }
        }
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.post, "words/import", access: .permission(.wordsManage), use: importList)
        group.on(.get, "words/export", access: .permission(.wordsManage), use: export)
    }

    /// Reads the list off the event loop (a big CSV takes a moment), then imports it in one
    /// transaction. A list with invalid lines changes nothing (422, every line named) unless
    /// `skipInvalid=true`.
    @Sendable func importList(request: Request, context: KefuRequestContext) async throws -> ReportView {
        let principal = try context.requirePrincipal()
        let contentType = request.headers[.contentType]
        let format: WordList.Format
        switch contentType?.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
        case "text/plain": format = .text
        case "text/csv": format = .csv
        default: throw APIError.unsupportedMediaType(contentType)
        }
        var errors: [APIError.FieldError] = []
        let query = request.uri.queryParameters
        var defaults = WordRuleStore.ImportDefaults()
        if let action = query["action"].map(String.init) {
            if let value = WordAction(rawValue: action) { defaults.action = value } else {
                errors.append(.init(field: "action", message: "expected block, mask or flag"))
            }
        }
        if let category = request.formParameter("category") { defaults.category = category }
        var skipInvalid = false
        switch query["skipInvalid"].map(String.init) {
        case nil, "false": break
        case "true": skipInvalid = true
        default: errors.append(.init(field: "skipInvalid", message: "expected true or false"))
        }
        if !errors.isEmpty { throw APIError.validation(errors) }

        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxImportBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: maxImportBytes)
        }
        let entries = try await NIOThreadPool.singleton.runIfActive {
            guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
                throw APIError.validation(field: "(body)", "the list must be UTF-8 text")
            }
            do {
                return try WordList.read(text, format: format)
            } catch let malformed as WordList.Malformed {
                throw APIError.validation(field: "line \(malformed.line)", malformed.message)
            }
        }
        do {
            return ReportView(try await rules.importRules(entries, defaults: defaults, skipInvalid: skipInvalid, by: principal,
                                                          origin: context.origin(request)))
        } catch let refused as WordImportRefused {
            var lines = refused.report.invalid.prefix(1000).map { APIError.FieldError(field: "line \($0.line)", message: $0.message) }
            if refused.report.invalid.count > 1000 {
                lines.append(.init(field: "(body)", message: "\(refused.report.invalid.count - 1000) more invalid lines"))
            }
            var problem = APIError.validation(lines)
            problem.detail = "\(refused.report.invalid.count) invalid lines: nothing was imported. Fix them, or import the rest with skipInvalid=true."
            throw problem
        }
    }

    /// Every rule as a download: `format=csv` (the default; every field, ready to import again)
    /// or `format=txt` (patterns only).
    @Sendable func export(request: Request, context: KefuRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let requested = request.uri.queryParameters["format"].map(String.init) ?? "csv"
        guard let format = WordList.Format(rawValue: requested) else {
            throw APIError.validation(field: "format", "expected csv or txt")
        }
        let all = try await rules.all(tenantID: principal.tenantID)
        let text = try await NIOThreadPool.singleton.runIfActive { try WordList.write(all, format: format) }
        let (type, name) = format == .csv ? ("text/csv; charset=utf-8", "words.csv") : ("text/plain; charset=utf-8", "words.txt")
        return Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let listBody: JSONValue = [
        "required": true, "description": "The list, UTF-8",
        "content": ["text/plain": ["schema": ["type": "string"]], "text/csv": ["schema": ["type": "string"]]],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/words/import": [
            "post": .object(OpenAPIDocument.operation(
                "importWordRules",
                "Import a list in one transaction: text/plain (one pattern a line; # starts a comment) or text/csv (pattern,action,category,senders[,enabled,exceptions], senders and exceptions joined by |, an optional header row naming the columns). A word the tenant has (the same once folded) is updated, a new one added. Any invalid line refuses the whole list (422, lines numbered) unless skipInvalid=true. Audited as one entry with the counts",
                tag: "words", access: .permission(.wordsManage),
                parameters: [
                    ["name": "action", "in": "query", "description": "For lines that name none (then also applied to words the tenant has); without it such lines keep an existing rule's action, and a new rule is mask", "schema": ["type": "string", "enum": ["block", "mask", "flag"]]],
                    ["name": "category", "in": "query", "description": "For lines that name none, likewise (default for a new rule: default)", "schema": ["type": "string"]],
                    ["name": "skipInvalid", "in": "query", "description": "Import the valid lines and report the invalid ones", "schema": ["type": "boolean", "default": false]],
                ],
                responses: ["200": OpenAPIDocument.json("What the import did", [
                    "type": "object", "required": ["added", "updated", "unchanged", "invalid", "invalidLines"], "properties": [
                        "added": ["type": "integer"], "updated": ["type": "integer"], "unchanged": ["type": "integer"],
                        "invalid": ["type": "integer"],
                        "invalidLines": ["type": "array", "description": "The first 1,000 invalid lines (with skipInvalid)", "items": [
                            "type": "object", "required": ["line", "message"], "properties": ["line": ["type": "integer"], "message": ["type": "string"]],
                        ]],
                    ],
                ]), "413": OpenAPIDocument.problem, "415": OpenAPIDocument.problem, "422": OpenAPIDocument.problem])
                .objectValue.merging(["requestBody": listBody]) { $1 }),
        ],
        "/api/v1/words/export": [
            "get": OpenAPIDocument.operation(
                "exportWordRules", "Every rule as a file: csv (every field; imports again as it is) or txt (patterns only)",
                tag: "words", access: .permission(.wordsManage),
                parameters: [["name": "format", "in": "query", "schema": ["type": "string", "enum": ["csv", "txt"], "default": "csv"]]],
                responses: ["200": ["description": "The list, as a download",
                                    "content": ["text/csv": ["schema": ["type": "string"]], "text/plain": ["schema": ["type": "string"]]]],
                            "422": OpenAPIDocument.problem]),
        ],
    ]
}

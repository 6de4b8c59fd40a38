import Auth
import Foundation
import Hummingbird
import Tenancy

/// One page of a list as the API returns it: `nextCursor` is absent on the last page.
struct PageView<Item: Codable & Sendable>: ResponseEncodable {
    let items: [Item]
    let nextCursor: String?

    init<Source>(_ page: Page<Source>, _ transform: (Source) -> Item) {
        items = page.items.map(transform)
        nextCursor = page.next?.text
    }

    /// The response schema of a page of `itemSchema`.
    static func schema(_ itemSchema: JSONValue) -> JSONValue {
        [
            "type": "object", "required": ["items"],
            "properties": [
                "items": ["type": "array", "items": itemSchema],
                "nextCursor": ["type": "string", "description": "Pass as cursor to get the next page; absent on the last page."],
            ],
        ]
    }
}

extension Request {
    /// `limit` (1–200, default 50) and `cursor` (a `nextCursor`) from the query; 422 naming the
    /// parameter when either is invalid.
    func pageRequest(collecting errors: inout [APIError.FieldError]) -> PageRequest {
        var page = PageRequest()
        let parameters = uri.queryParameters
        if let limit = parameters["limit"] {
            if let value = Int(limit), (1...PageRequest.maximumLimit).contains(value) {
                page.limit = value
            } else {
                errors.append(.init(field: "limit", message: "expected an integer from 1 to \(PageRequest.maximumLimit)"))
            }
        }
        if let cursor = parameters["cursor"] {
            if let value = PageCursor(text: String(cursor)) { page.after = value } else { errors.append(.init(field: "cursor", message: "expected a nextCursor from a previous page")) }
        }
        return page
    }

    func pageRequest() throws -> PageRequest {
        var errors: [APIError.FieldError] = []
        let page = pageRequest(collecting: &errors)
        if !errors.isEmpty { throw APIError.validation(errors) }
        return page
    }
}

extension KefuRequestContext {
    /// A UUID path parameter. Anything else is 404, exactly like an id of another tenant.
    func id(_ name: String = "id") throws -> UUID {
        guard let id = parameters.get(name).flatMap(UUID.init(uuidString:)) else { throw APIError.notFound() }
        return id
    }
}

extension OpenAPIDocument {
    /// The `limit` and `cursor` query parameters of a paged list.
    static let pageParameters: [JSONValue] = [
        ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 200, "default": 50]],
        ["name": "cursor", "in": "query", "description": "nextCursor of the previous page", "schema": ["type": "string"]],
    ]

    /// The `{id}` path parameter.
    static let idParameter: JSONValue = ["name": "id", "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"]]

    /// A JSON response with `schema`.
    static func json(_ description: String, _ schema: JSONValue) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": schema]]]
    }

    static let problem: JSONValue = ["$ref": "#/components/responses/Problem"]
}

extension Request {
    /// A query parameter read as HTML forms write it: `+` is a space, then percent-decoding
    /// (`%2B` is a plus). Free-text search boxes submit this way.
    func formParameter(_ name: String) -> String? {
        uri.query.map { FormQuery(Substring($0))[name] } ?? nil
    }
}

/// The OpenAPI 3.1 document of every `/api` route, served at `/api/openapi.json`.
///
/// Each controller declares its own paths (`openAPIPaths`) next to its routes; a test fails when
/// a registered `/api` route is missing here or the document does not validate.
public enum OpenAPIDocument {
    /// Builds the document from the controllers' fragments.
    public static func build(version: String, paths: [JSONValue]) -> JSONValue {
        let merged = paths.reduce(JSONValue.object([:])) { $0.merging($1) }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Kefu API",
                "version": .string(Admin.apiVersion),
                "description": .string("The REST API of Kefu \(version), a self-hosted customer-service platform. Errors are application/problem+json (RFC 9457) with a stable `code`."),
                "license": ["name": "Proprietary", "identifier": "LicenseRef-Kefu"],
            ],
            "servers": [["url": "/"]],
            "paths": merged,
            "components": [
                "schemas": [
                    "Problem": problemSchema,
                    "User": UserView.schema,
                ],
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer", "description": "A session token from /api/v1/auth/login."],
                    "cookie": ["type": "apiKey", "in": "cookie", "name": "kefu_session",
                               "description": "The browser session; mutations also need the X-CSRF-Token header."],
                ],
                "responses": [
                    "Problem": [
                        "description": "An error, described as RFC 9457 problem details.",
                        "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
                    ],
                ],
            ],
        ]
    }

    /// Responses every operation may give: bad input, limits and server errors.
    public static let commonErrorResponses: JSONValue = [
        "400": ["$ref": "#/components/responses/Problem"],
        "429": ["$ref": "#/components/responses/Problem"],
        "500": ["$ref": "#/components/responses/Problem"],
    ]

    /// Signed in by bearer token or session cookie.
    public static let signedIn: JSONValue = [["bearer": []], ["cookie": []]]

    /// The responses of an operation that needs a session: 401 and 403 join the common ones.
    public static func signedInResponses(_ responses: JSONValue) -> JSONValue {
        commonErrorResponses.merging([
            "401": ["$ref": "#/components/responses/Problem"],
            "403": ["$ref": "#/components/responses/Problem"],
        ]).merging(responses)
    }

    /// A JSON request body referencing `schema`, with the errors strict decoding gives.
    public static func jsonBody(_ schema: JSONValue) -> JSONValue {
        ["required": true, "content": ["application/json": ["schema": schema]]]
    }

    /// Responses of an operation that takes a JSON body: 413, 415 and 422 join the common ones.
    public static func responsesWithBody(_ responses: JSONValue) -> JSONValue {
        commonErrorResponses.merging([
            "413": ["$ref": "#/components/responses/Problem"],
            "415": ["$ref": "#/components/responses/Problem"],
            "422": ["$ref": "#/components/responses/Problem"],
        ]).merging(responses)
    }

    static let problemSchema: JSONValue = [
        "type": "object",
        "required": ["type", "title", "status", "code"],
        "properties": [
            "type": ["type": "string", "description": "A URI naming the kind of problem: urn:kefu:problem:<code>."],
            "code": ["type": "string", "description": "The stable machine-readable code, e.g. validation-failed."],
            "title": ["type": "string"],
            "status": ["type": "integer"],
            "detail": ["type": "string"],
            "instance": ["type": "string", "description": "The request path."],
            "requestId": ["type": "string"],
            "errors": [
                "type": "array",
                "items": [
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": ["field": ["type": "string"], "message": ["type": "string"]],
                ],
            ],
            "category": ["type": "string", "description": "With content-blocked: the blocking sensitive-word rule's category."],
        ],
    ]
}

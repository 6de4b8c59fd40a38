import Hummingbird

/// `GET /api/openapi.json`: the document, encoded once at start.
public struct OpenAPIController: Sendable {
    let body: ByteBuffer

    public init(document: JSONValue) throws {
        body = ByteBuffer(bytes: try document.encoded())
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
    }

    public static let openAPIPaths: JSONValue = [
        "/api/openapi.json": [
            "get": [
                "operationId": "getOpenAPIDocument",
                "summary": "This OpenAPI 3.1 document",
                "tags": ["meta"],
                "responses": OpenAPIDocument.commonErrorResponses.merging([
                    "200": ["description": "The document", "content": ["application/json": ["schema": ["type": "object"]]]],
                ]),
            ],
        ],
    ]
}

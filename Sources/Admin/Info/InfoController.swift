import Hummingbird

/// `GET /api/v1/info`: what this server is, so clients and the web pages can check
/// compatibility before they log in. Public and read-only.
public struct InfoController: Sendable {
    /// The answer of `GET /api/v1/info`.
    public struct Info: ResponseEncodable, Sendable, Equatable, Decodable {
        public let name: String
        public let version: String
        public let apiVersion: String
        public let locales: [String]
    }

    let version: String

    public init(version: String) {
        self.version = version
    }

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.get("info", use: info)
    }

    @Sendable func info(request: Request, context: KefuRequestContext) async throws -> Info {
        Info(name: "Kefu", version: version, apiVersion: Admin.apiVersion, locales: ["zh-CN", "en"])
    }

    public static let openAPIPaths: JSONValue = [
        "/api/v1/info": [
            "get": [
                "operationId": "getInfo",
                "summary": "Server name, version and API version",
                "tags": ["meta"],
                "responses": OpenAPIDocument.commonErrorResponses.merging([
                    "200": [
                        "description": "About this server",
                        "content": ["application/json": ["schema": [
                            "type": "object",
                            "required": ["name", "version", "apiVersion", "locales"],
                            "properties": [
                                "name": ["type": "string"],
                                "version": ["type": "string"],
                                "apiVersion": ["type": "string"],
                                "locales": ["type": "array", "items": ["type": "string"]],
                            ],
                        ]]],
                    ],
                ]),
            ],
        ],
    ]
}

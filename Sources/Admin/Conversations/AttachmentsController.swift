import Auth
import Foundation
import HTTPTypes
import Hummingbird
import Realtime

/// Files in conversations: agents upload to a conversation, visitors upload from the widget (a
/// cross-origin request from the site's page, allowed for the widget's origins), and anyone
/// holding a file's link downloads it — images inline, everything else as a download, always
/// with `nosniff` and a sandboxing CSP, so no uploaded byte runs in a browser.
public struct AttachmentsController: Sendable {
    let attachments: AttachmentStore

    public init(attachments: AttachmentStore) {
        self.attachments = attachments
    }

    static let visitorTokenHeader = HTTPField.Name("X-Kefu-Visitor")!

    public func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.on(.post, "conversations/{id}/attachments", access: .permission(.conversationsReply), use: uploadByAgent)
        group.on(.post, "widget/attachments", access: .everyone, use: uploadByVisitor)
        group.on(.options, "widget/attachments", access: .everyone, use: preflight)
        group.on(.get, "attachments/{id}", access: .everyone, use: download)
    }

    func upload(_ request: Request) async throws -> AttachmentStore.Upload {
        let parameters = request.uri.queryParameters
        // Read as a form value: a browser's URLSearchParams writes a space as `+`.
        guard let name = request.formParameter("name"), !name.isEmpty else { throw APIError.validation(field: "name", "give the file's name") }
        guard let clientID = parameters["clientId"] else { throw APIError.validation(field: "clientId", "give a client id (the same on retries)") }
        let body = try await request.body.collect(upTo: attachments.maximumBytes)
        return AttachmentStore.Upload(fileName: name, bytes: Array(buffer: body), clientID: String(clientID))
    }

    @Sendable func uploadByAgent(request: Request, context: KefuRequestContext) async throws -> Response {
        let result = try await attachments.postByAgent(try await upload(request), conversationID: try context.id(), by: try context.requirePrincipal())
        var response = try MessageView(result.message).response(from: request, context: context)
        response.status = result.duplicate ? .ok : .created
        return response
    }

    @Sendable func uploadByVisitor(request: Request, context: KefuRequestContext) async throws -> Response {
        let (key, origin) = try await checkOrigin(request)
        let result: AppendResult
        do {
            guard let token = request.headers[Self.visitorTokenHeader] else {
                throw APIError.unauthenticated("Send the visitor's token in X-Kefu-Visitor.")
            }
            result = try await attachments.postByVisitor(try await upload(request), widgetKey: key, visitorToken: token)
        } catch {
            // The page may read why its upload was refused (a type not accepted, too large).
            throw CrossOriginError(origin: origin, underlying: error)
        }
        var response = try MessageView(result.message).response(from: request, context: context)
        response.status = result.duplicate ? .ok : .created
        Self.allowCORS(&response.headers, origin: origin)
        return response
    }

    @Sendable func preflight(request: Request, context: KefuRequestContext) async throws -> Response {
        let (_, origin) = try await checkOrigin(request)
        var response = Response(status: .noContent)
        Self.allowCORS(&response.headers, origin: origin)
        response.headers[.accessControlAllowMethods] = "POST"
        response.headers[.accessControlAllowHeaders] = "Content-Type, X-Kefu-Visitor"
        response.headers[.accessControlMaxAge] = "600"
        return response
    }

    /// The widget key and the page's Origin, which the widget must allow.
    func checkOrigin(_ request: Request) async throws -> (key: String, origin: String) {
        guard let key = request.uri.queryParameters["key"].map(String.init) else { throw APIError.validation(field: "key", "give the widget's public key") }
        guard let origin = request.headers[.origin], try await attachments.allows(origin: origin, host: request.head.authority, widgetKey: key) else {
            throw APIError(.forbidden, code: "origin-not-allowed", title: "Origin not allowed",
                           detail: "This widget does not accept uploads from this page's origin.")
        }
        return (key, origin)
    }

    public static func allowCORS(_ headers: inout HTTPFields, origin: String) {
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
    }

    @Sendable func download(request: Request, context: KefuRequestContext) async throws -> Response {
        guard let secret = request.uri.queryParameters["sig"],
              let file = try await attachments.file(try context.id(), secret: String(secret)) else { throw APIError.notFound() }
        var headers: HTTPFields = [
            .contentType: file.type.rawValue,
            .contentDisposition: "\(file.type.isImage ? "inline" : "attachment"); filename*=UTF-8''\(Self.percentEncoded(file.fileName))",
            .contentSecurityPolicy: "default-src 'none'; sandbox",
            .xContentTypeOptions: "nosniff",
        ]
        headers[.contentLength] = String(file.bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    /// RFC 5987 encoding for `filename*`: everything but unreserved characters percent-encoded.
    static func percentEncoded(_ name: String) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return name.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "file"
    }

    static let uploadParameters: [JSONValue] = [
        ["name": "name", "in": "query", "required": true, "description": "The file's name", "schema": ["type": "string", "maxLength": 200]],
        ["name": "clientId", "in": "query", "required": true, "description": "The same on every retry: a retry is stored once",
         "schema": ["type": "string", "maxLength": 64]],
    ]

    static let fileBody: JSONValue = [
        "required": true, "description": "The file's bytes. Its type is judged from the bytes: PNG, JPEG, GIF, WebP, PDF, ZIP or UTF-8 text.",
        "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]],
    ]

    public static let openAPIPaths: JSONValue = [
        "/api/v1/conversations/{id}/attachments": [
            "post": .object(OpenAPIDocument.operation(
                "uploadAttachment", "Post a file to a conversation (as a reply); answers with its message once committed", tag: "conversations",
                access: .permission(.conversationsReply), parameters: [OpenAPIDocument.idParameter] + uploadParameters,
                responses: ["201": OpenAPIDocument.json("Stored", ConversationsController.messageSchema), "200": OpenAPIDocument.json("Already stored (a retry)", ConversationsController.messageSchema),
                            "404": OpenAPIDocument.problem, "413": OpenAPIDocument.problem, "415": OpenAPIDocument.problem]).objectValue.merging(["requestBody": fileBody]) { $1 }),
        ],
        "/api/v1/widget/attachments": [
            "post": .object(OpenAPIDocument.operation(
                "uploadVisitorAttachment", "A visitor posts a file to their open conversation, from a page the widget allows (CORS)", tag: "widget",
                access: .everyone,
                parameters: [["name": "key", "in": "query", "required": true, "schema": ["type": "string"]],
                             ["name": "X-Kefu-Visitor", "in": "header", "required": true, "description": "The visitor's token (kfv_…)", "schema": ["type": "string"]]]
                    + uploadParameters,
                responses: ["201": OpenAPIDocument.json("Stored", ConversationsController.messageSchema), "200": OpenAPIDocument.json("Already stored (a retry)", ConversationsController.messageSchema),
                            "401": OpenAPIDocument.problem, "403": OpenAPIDocument.problem, "409": OpenAPIDocument.problem, "413": OpenAPIDocument.problem,
                            "415": OpenAPIDocument.problem]).objectValue.merging(["requestBody": fileBody]) { $1 }),
            "options": OpenAPIDocument.operation(
                "preflightVisitorAttachment", "CORS preflight for visitor uploads", tag: "widget", access: .everyone,
                parameters: [["name": "key", "in": "query", "required": true, "schema": ["type": "string"]]],
                responses: ["204": ["description": "Allowed"], "403": OpenAPIDocument.problem]),
        ],
        "/api/v1/attachments/{id}": [
            "get": OpenAPIDocument.operation(
                "downloadAttachment", "A file by its link (the sig comes in the message); images inline, others as downloads", tag: "conversations",
                access: .everyone,
                parameters: [OpenAPIDocument.idParameter, ["name": "sig", "in": "query", "required": true, "schema": ["type": "string"]]],
                responses: ["200": ["description": "The file", "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]],
                            "404": OpenAPIDocument.problem]),
        ],
    ]
}

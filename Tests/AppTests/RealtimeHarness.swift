import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing
import Tenancy
import TestSupport
@testable import Auth

/// Live `kefu serve` processes (one or more nodes) on one fresh database with tenants `acme`
/// (owner boss@, agents agent@ and agent2@) and `globex` (owner boss@), each with a widget
/// allowing https://shop.example, for end-to-end realtime tests.
struct RealtimeHarness: Sendable {
    let endpoint: DatabaseEndpoint
    let nodes: [KefuProcess]
    let acmeWidgetKey: String
    let acmeWidgetSecret: String
    let globexWidgetKey: String
    static let origin = "https://shop.example"

    static func with(nodes count: Int = 1, environment: [String: String] = [:], _ body: @Sendable (RealtimeHarness) async throws -> Void) async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            try await createTenants(endpoint)
            var nodes: [KefuProcess] = []
            for _ in 0..<count {
                nodes.append(try await start(endpoint, environment: environment))
            }
            for node in nodes { try await node.waitUntilReady() }
            let owner = try await token(nodes[0], tenant: "acme", email: "boss@acme.example")
            let globexOwner = try await token(nodes[0], tenant: "globex", email: "boss@globex.example")
            let acmeWidget = try await request(nodes[0], .post, "/api/v1/widgets", ["name": "Shop", "allowedOrigins": [origin]], token: owner)
            let globexWidget = try await request(nodes[0], .post, "/api/v1/widgets", ["name": "Shop", "allowedOrigins": [origin]], token: globexOwner)
            let harness = RealtimeHarness(
                endpoint: endpoint, nodes: nodes,
                acmeWidgetKey: try #require(acmeWidget.json["publicKey"] as? String),
                acmeWidgetSecret: try #require(acmeWidget.json["identitySecret"] as? String),
                globexWidgetKey: try #require(globexWidget.json["publicKey"] as? String))
            do {
                try await body(harness)
            } catch {
                for node in nodes { node.signal(SIGKILL) }
                throw error
            }
            for node in nodes {
                node.signal(SIGTERM)
                _ = try? await node.waitForExit(timeout: .seconds(20))
            }
        }
    }

    static func start(_ endpoint: DatabaseEndpoint, environment: [String: String] = [:]) async throws -> KefuProcess {
        var variables = ["DATABASE_URL": try KefuProcess.databaseURL(endpoint.database), "KEFU_MASTER_KEY": masterKey(for: endpoint)]
        variables.merge(environment) { $1 }
        return try KefuProcess(["serve"], environment: variables)
    }

    /// The `KEFU_MASTER_KEY` every node on `endpoint`'s database shares, as production nodes must
    /// (derived from the database's name, so a node started again later has it too).
    static func masterKey(for endpoint: DatabaseEndpoint) -> String {
        Data(SHA256.hash(data: Data("kefu-test-master-key:\(endpoint.database)".utf8))).base64EncodedString()
    }

    static func createTenants(_ endpoint: DatabaseEndpoint) async throws {
        let database = try Database(endpoint: endpoint, maximumConnections: 2, applicationName: "kefu-test-setup", logger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            let hasher = PasswordHasher()
            let directory = AccountDirectory(database: database, hasher: hasher)
            let acme = try await directory.createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: TestApplication.password)
            let hash = try await hasher.hash(TestApplication.password)
            try await database.withTenant(acme.tenant.id) { tx in
                var agentRole = UUID()
                for try await id in try await tx.query("SELECT id FROM roles WHERE builtin = 'agent'").decode(UUID.self) { agentRole = id }
                for (email, name) in [("agent@acme.example", "Agent"), ("agent2@acme.example", "Agent Two")] {
                    _ = try await AccountDirectory.insertUser(email: email, displayName: name, passwordHash: hash, roleID: agentRole, in: tx)
                }
            }
            _ = try await directory.createTenant(slug: "globex", name: "Globex", ownerEmail: "boss@globex.example", ownerPassword: TestApplication.password)
            group.cancelAll()
        }
    }

    struct Reply: @unchecked Sendable {
        let status: HTTPResponse.Status
        let json: [String: Any]
        let text: String
    }

    static func request(_ node: KefuProcess, _ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]? = nil,
                        token: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers: HTTPFields = extra
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
        }
        return try await request(node, method, path, body: buffer, token: token, headers: headers)
    }

    /// A request with `body` as it is (its content type in `headers`).
    static func request(_ node: KefuProcess, _ method: HTTPRequest.Method, _ path: String, body buffer: ByteBuffer?,
                        token: String?, headers extra: HTTPFields) async throws -> Reply {
        var headers: HTTPFields = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        let request = TestClient.Request(path, method: method, headers: headers, body: buffer)
        let response = try await TestClient.withClient(host: "127.0.0.1", port: node.port) { client in try await client.execute(request) }
        let text = response.body.map { String(buffer: $0) } ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
        return Reply(status: response.status, json: json, text: text)
    }

    static func token(_ node: KefuProcess, tenant: String, email: String) async throws -> String {
        let reply = try await request(node, .post, "/api/v1/auth/login", ["tenant": tenant, "email": email, "password": TestApplication.password])
        return try #require(reply.json["token"] as? String, "login of \(email): \(reply.text)")
    }

    func token(tenant: String = "acme", email: String) async throws -> String {
        try await Self.token(nodes[0], tenant: tenant, email: email)
    }

    func request(_ method: HTTPRequest.Method, _ path: String, raw: String, contentType: String, token: String?, node: Int = 0) async throws -> Reply {
        try await Self.request(nodes[node], method, path, body: ByteBuffer(string: raw), token: token, headers: [.contentType: contentType])
    }

    func request(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]? = nil, token: String?, node: Int = 0) async throws -> Reply {
        try await Self.request(nodes[node], method, path, body, token: token)
    }

    /// A visitor socket (before `hello`).
    func visitor(node: Int = 0, key: String? = nil, origin: String = RealtimeHarness.origin) async throws -> WebSocketTestClient {
        try await WebSocketTestClient.connect(port: nodes[node].port, path: "/ws/visitor?key=\(key ?? acmeWidgetKey)", headers: [("Origin", origin)])
    }

    /// A visitor socket that has said hello; returns the welcome too.
    func visitorHello(node: Int = 0, _ hello: [String: any Sendable] = [:]) async throws -> (WebSocketTestClient, JSONFrame) {
        let socket = try await visitor(node: node)
        var frame: [String: any Sendable] = ["type": "hello", "v": 1]
        frame.merge(hello) { $1 }
        try await socket.send(frame)
        return (socket, try await socket.next("welcome"))
    }

    /// An agent socket signed in with `token`; returns the welcome too.
    func agent(node: Int = 0, token: String) async throws -> (WebSocketTestClient, JSONFrame) {
        let socket = try await WebSocketTestClient.connect(port: nodes[node].port, path: "/ws/agent", headers: [("Authorization", "Bearer \(token)")])
        return (socket, try await socket.next("welcome"))
    }

    /// Runs `sql` on the test database as its owner, with `app.tenant_id` set to `tenant`. The
    /// owner is a superuser, whom row-level security does not bind: it sees every tenant's rows,
    /// so a check about one tenant filters by `tenant_id` itself.
    func sql(_ sql: String, tenant: String = "acme") async throws -> [[String?]] {
        try await endpoint.withConnection(logger: TestDatabase.logger) { connection in
            let scoped = "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = '\(tenant)'), false)"
            try await connection.query(PostgresQuery(unsafeSQL: scoped), logger: TestDatabase.logger)
            var rows: [[String?]] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger) {
                rows.append(row.map { cell in cell.bytes.map { String(buffer: $0) } })
            }
            return rows
        }
    }
}

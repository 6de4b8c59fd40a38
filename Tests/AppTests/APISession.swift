import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A signed-in API client for tests: sends JSON with a bearer token and reads JSON back.
struct APISession: Sendable {
    let client: any TestClientProtocol
    let token: String

    /// Signs in (password and, when given, a second factor) and fails the test unless it works.
    static func signIn(_ client: any TestClientProtocol, email: String, tenant: String = "acme",
                       password: String = TestApplication.password, totp: String? = nil) async throws -> APISession {
        let response = try await login(client, email: email, tenant: tenant, password: password, totp: totp)
        try #require(response.status == .ok, "login of \(email) failed: \(response.text)")
        return APISession(client: client, token: try #require(try response.json()["token"] as? String))
    }

    static func login(_ client: any TestClientProtocol, email: String, tenant: String = "acme",
                      password: String = TestApplication.password, totp: String? = nil) async throws -> TestResponse {
        var body: [String: String] = ["tenant": tenant, "email": email, "password": password]
        if let totp { body["totp"] = totp }
        return try await client.execute(
            uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
    }

    func get(_ path: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
    }

    func delete(_ path: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .delete, headers: [.authorization: "Bearer \(token)"], body: nil)
    }

    func post(_ path: String, _ json: [String: Any] = [:]) async throws -> TestResponse {
        try await send(.post, path, json)
    }

    func patch(_ path: String, _ json: [String: Any]) async throws -> TestResponse {
        try await send(.patch, path, json)
    }

    func send(_ method: HTTPRequest.Method, _ path: String, raw body: String, contentType: String = "application/json") async throws -> TestResponse {
        try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(token)", .contentType: contentType],
                                 body: ByteBuffer(string: body))
    }

    private func send(_ method: HTTPRequest.Method, _ path: String, _ json: [String: Any]) async throws -> TestResponse {
        let data = try JSONSerialization.data(withJSONObject: json)
        return try await send(method, path, raw: String(decoding: data, as: UTF8.self))
    }

    /// The id of the built-in role `name` (owner, admin, supervisor, agent).
    func builtinRole(_ name: String) async throws -> String {
        let roles = try await get("/api/v1/roles").json()["items"] as? [[String: Any]] ?? []
        return try #require(roles.first { $0["builtin"] as? String == name }?["id"] as? String)
    }

    /// The id of the user with `email`.
    func userID(_ email: String) async throws -> String {
        let users = try await get("/api/v1/users?q=\(email)").json()["items"] as? [[String: Any]] ?? []
        return try #require(users.first { $0["email"] as? String == email }?["id"] as? String)
    }

    /// The actions of the tenant's audit log, newest first.
    func auditActions() async throws -> [String] {
        let entries = try await get("/api/v1/audit?limit=200").json()["items"] as? [[String: Any]] ?? []
        return entries.compactMap { $0["action"] as? String }
    }
}

extension TestResponse {
    /// The problem `code` of an error response.
    var problemCode: String? {
        guard headers[.contentType]?.hasPrefix("application/problem+json") == true else { return nil }
        return (try? json())?["code"] as? String
    }
}

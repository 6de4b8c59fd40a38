import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Admin
@testable import App

/// A body with every kind of field, for the strict-decoding tests.
struct EchoBody: APIRequestBody, ResponseEncodable {
    let name: String
    let count: Int
    let tags: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable { case name, count, tags }

    func validate() throws {
        if name.isEmpty { throw APIError.validation(field: "name", "must not be empty") }
    }
}

struct SecretFailure: Error, CustomStringConvertible {
    var description: String { "SELECT password FROM users -- stack: App.swift:42" }
}

@Suite struct ProblemResponseTests {
    /// Test-only routes on top of the real assembly: the error mapping is global middleware.
    static let extraRoutes: @Sendable (Router<KefuRequestContext>) -> Void = { router in
        router.post("api/v1/test/echo") { request, _ in
            try await request.decodeJSON(EchoBody.self, limit: 256)
        }
        router.get("api/v1/test/crash") { _, _ -> String in
            throw SecretFailure()
        }
    }

    func problem(_ response: TestResponse, status: HTTPResponse.Status, code: String) throws -> [String: Any] {
        #expect(response.status == status)
        #expect(response.headers[.contentType] == "application/problem+json")
        let body = try response.json()
        #expect(body["code"] as? String == code)
        #expect(body["type"] as? String == "urn:kefu:problem:\(code)")
        #expect(body["status"] as? Int == Int(status.code))
        #expect(body["title"] is String)
        return body
    }

    func post(_ client: any TestClientProtocol, _ body: String, contentType: String = "application/json") async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/test/echo", method: .post, headers: [.contentType: contentType],
            body: ByteBuffer(string: body))
    }

    @Test func aValidBodyIsDecoded() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            let response = try await post(client, #"{"name":"a","count":2}"#)
            #expect(response.status == .ok)
            #expect(try response.json()["count"] as? Int == 2)
        }
    }

    @Test func unknownAndMistypedFieldsAre422NamingTheField() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            var body = try problem(try await post(client, #"{"name":"a","count":1,"colour":"red"}"#), status: .unprocessableContent, code: "validation-failed")
            var errors = body["errors"] as? [[String: String]] ?? []
            #expect(errors == [["field": "colour", "message": "unknown field"]])

            body = try problem(try await post(client, #"{"name":"a","count":"two"}"#), status: .unprocessableContent, code: "validation-failed")
            errors = body["errors"] as? [[String: String]] ?? []
            #expect(errors == [["field": "count", "message": "expected an integer"]])

            body = try problem(try await post(client, #"{"name":"a"}"#), status: .unprocessableContent, code: "validation-failed")
            errors = body["errors"] as? [[String: String]] ?? []
            #expect(errors == [["field": "count", "message": "is required"]])

            body = try problem(try await post(client, #"{"name":"a","count":1,"tags":["x",3]}"#), status: .unprocessableContent, code: "validation-failed")
            errors = body["errors"] as? [[String: String]] ?? []
            #expect(errors == [["field": "tags[1]", "message": "expected a string"]])

            body = try problem(try await post(client, #"{"name":"","count":1}"#), status: .unprocessableContent, code: "validation-failed")
            #expect(body["detail"] as? String == "name: must not be empty")

            _ = try problem(try await post(client, #"[1,2]"#), status: .unprocessableContent, code: "validation-failed")
        }
    }

    @Test func malformedJSONIs400() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            _ = try problem(try await post(client, #"{"name": "a", "#), status: .badRequest, code: "malformed-json")
        }
    }

    @Test func aWrongContentTypeIs415() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            _ = try problem(try await post(client, "name=a", contentType: "application/x-www-form-urlencoded"), status: .unsupportedMediaType, code: "unsupported-media-type")
        }
    }

    @Test func anOversizeBodyIs413() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            let big = #"{"name":""# + String(repeating: "x", count: 1000) + #"","count":1}"#
            let body = try problem(try await post(client, big), status: .contentTooLarge, code: "payload-too-large")
            #expect(body["detail"] as? String == "The limit is 256 bytes.")
        }
    }

    @Test func unknownPathsAre404AndWrongMethods405WithAllow() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            let notFound = try problem(try await client.execute(uri: "/api/v1/nope", method: .get), status: .notFound, code: "not-found")
            #expect(notFound["instance"] as? String == "/api/v1/nope")
            let response = try await client.execute(uri: "/api/v1/info", method: .delete)
            _ = try problem(response, status: .methodNotAllowed, code: "method-not-allowed")
            #expect(response.headers[.allow] == "GET")
        }
    }

    @Test func anUnexpectedErrorIs500WithoutInternals() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            let response = try await client.execute(uri: "/api/v1/test/crash", method: .get)
            _ = try problem(response, status: .internalServerError, code: "internal-error")
            #expect(!response.text.contains("SELECT"))
            #expect(!response.text.contains("App.swift"))
        }
    }

    @Test func tooManyRequestsIs429WithRetryAfter() async throws {
        try await TestApplication.run(environment: ["KEFU_API_RATE_LIMIT": "3"]) { client, _ in
            for _ in 0..<3 {
                #expect(try await client.execute(uri: "/api/v1/info", method: .get).status == .ok)
            }
            let response = try await client.execute(uri: "/api/v1/info", method: .get)
            _ = try problem(response, status: .tooManyRequests, code: "rate-limited")
            let retryAfter = Int(response.headers[.retryAfter] ?? "") ?? 0
            #expect((1...60).contains(retryAfter))
            // Health checks are not rate limited.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func apiAnswersAreNeverCached() async throws {
        try await TestApplication.run { client, _ in
            let response = try await client.execute(uri: "/api/v1/info", method: .get)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
        }
    }
}

@Suite struct RateLimiterTests {
    @Test func refillsAtTheConfiguredRate() {
        let limiter = RateLimiter(perMinute: 60)
        let start = ContinuousClock.now
        for _ in 0..<60 { #expect(limiter.acquire("ip", now: start) == nil) }
        #expect(limiter.acquire("ip", now: start) == 1)
        #expect(limiter.acquire("other", now: start) == nil)
        #expect(limiter.acquire("ip", now: start + .seconds(1)) == nil)
    }

    @Test func keepsItsTableBounded() {
        let limiter = RateLimiter(perMinute: 10, maximumKeys: 100)
        let start = ContinuousClock.now
        for index in 0..<1000 { _ = limiter.acquire("ip-\(index)", now: start + .seconds(index * 10)) }
        #expect(limiter.acquire("ip-999", now: start + .seconds(9990)) == nil)
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

/// A refused WebSocket upgrade is answered before any router runs, yet must read exactly like
/// every other error: the same problem document and headers, request id included.
@Suite struct RefusedUpgradeProblemTests {
    static let requestIDHeader = HTTPField.Name("X-Request-Id")!

    /// A plain HTTP request with the given headers: its status, JSON body and headers.
    static func plainRequest(_ harness: RealtimeHarness, _ path: String, headers extra: [(String, String)]) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        let request = TestClient.Request(path, method: .get, headers: HTTPFieldsBuilder(extra).fields)
        let response = try await TestClient.withClient(host: "127.0.0.1", port: harness.nodes[0].port) { try await $0.execute(request) }
        let text = response.body.map { String(buffer: $0) } ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
        return (response.status, json, response.headers)
    }

    @Test func aRefusedUpgradeCarriesTheSameProblemFieldsAndHeadersAsAnHTTPError() async throws {
        try await RealtimeHarness.with { harness in
            let (refused, refusedHeaders) = try await RealtimeAbuseLimitTests.upgradeAttempt(
                harness, "/ws/visitor?key=kfw_nothing", headers: [("X-Request-Id", "upgrade-check-1")])
            let (status, http, httpHeaders) = try await Self.plainRequest(harness, "/api/v1/nothing-here?x=1", headers: [("X-Request-Id", "http-check-1")])
            #expect(refused.status.code == 404)
            #expect(status.code == 404)

            #expect(Set(refused.json.keys) == Set(http.keys), "refused: \(refused.text)")
            #expect(Set(refused.json.keys) == ["type", "code", "title", "status", "detail", "instance", "requestId"])
            #expect(refused.json["code"] as? String == "widget-not-found")
            #expect(refused.json["type"] as? String == "urn:kefu:problem:widget-not-found")
            #expect(refused.json["status"] as? Int == 404)
            // `instance` is the path without its query, as for HTTP errors.
            #expect(refused.json["instance"] as? String == "/ws/visitor")
            #expect(http["instance"] as? String == "/api/v1/nothing-here")
            // The caller's request id comes back in the body and in the header, as for HTTP errors.
            #expect(refused.json["requestId"] as? String == "upgrade-check-1")
            #expect(refusedHeaders[Self.requestIDHeader] == "upgrade-check-1")
            #expect(http["requestId"] as? String == "http-check-1")
            #expect(httpHeaders[Self.requestIDHeader] == "http-check-1")
            for name in [HTTPField.Name.contentType, .cacheControl] {
                #expect(refusedHeaders[name] == httpHeaders[name], "\(name)")
            }
            #expect(refusedHeaders[.contentType] == "application/problem+json")
            #expect(refusedHeaders[.cacheControl] == "no-store")

            // Without a usable id of the caller's, the refusal gets a new one, in body and header alike.
            let (unnamed, unnamedHeaders) = try await RealtimeAbuseLimitTests.upgradeAttempt(
                harness, "/ws/agent", headers: [("X-Request-Id", "not a sane id!")])
            #expect(unnamed.status.code == 401)
            let generated = try #require(unnamed.json["requestId"] as? String)
            #expect(generated.count == 32 && generated.allSatisfy(\.isHexDigit))
            #expect(unnamedHeaders[Self.requestIDHeader] == generated)
        }
    }
}

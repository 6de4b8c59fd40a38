import Auth
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Realtime
import Tenancy
import Testing
@testable import Admin
@testable import App

/// Errors each module throws in its own terms become the same problem documents they always
/// were: field validation (`InvalidFields`, from Auth and Realtime alike) and a missing widget
/// (`RealtimeError.widgetNotFound`, formerly an administration error).
@Suite struct ModuleErrorProblemTests {
    static let extraRoutes: @Sendable (Router<KefuRequestContext>) -> Void = { router in
        router.get("api/v1/test/invalid-field") { _, _ -> String in
            throw InvalidFields(field: "name", message: "is required")
        }
        router.get("api/v1/test/invalid-fields") { _, _ -> String in
            throw InvalidFields([.init("status", "expected open or closed"), .init("teamId", "is not a team of this tenant")])
        }
        router.get("api/v1/test/no-widget") { _, _ -> String in
            throw RealtimeError.widgetNotFound
        }
        router.get("api/v1/test/no-user") { _, _ -> String in
            throw AdministrationError.notFound("user")
        }
    }

    func get(_ client: any TestClientProtocol, _ path: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: [HTTPField.Name("X-Request-Id")!: "check-1"])
    }

    @Test func anInvalidFieldIs422ValidationFailedNamingIt() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            let response = try await get(client, "/api/v1/test/invalid-field")
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.text == #"{"code":"validation-failed","detail":"name: is required","errors":[{"field":"name","message":"is required"}],"#
                + #""instance":"/api/v1/test/invalid-field","requestId":"check-1","status":422,"title":"The request is not valid","#
                + #""type":"urn:kefu:problem:validation-failed"}"#)
        }
    }

    @Test func severalInvalidFieldsAreOneErrorEachInOrder() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            let body = try await get(client, "/api/v1/test/invalid-fields").json()
            #expect(body["code"] as? String == "validation-failed")
            #expect(body["detail"] as? String == "status: expected open or closed; teamId: is not a team of this tenant")
            let errors = body["errors"] as? [[String: String]] ?? []
            #expect(errors == [["field": "status", "message": "expected open or closed"],
                               ["field": "teamId", "message": "is not a team of this tenant"]])
        }
    }

    @Test func aMissingWidgetIsA404WordedAsTheAdministrationNotFound() async throws {
        try await TestApplication.run(extraRoutes: Self.extraRoutes) { client, _ in
            let widget = try await get(client, "/api/v1/test/no-widget")
            #expect(widget.status == .notFound)
            #expect(widget.text == #"{"code":"not-found","detail":"no such widget in this tenant","instance":"/api/v1/test/no-widget","#
                + #""requestId":"check-1","status":404,"title":"Not found","type":"urn:kefu:problem:not-found"}"#)
            let user = try await get(client, "/api/v1/test/no-user").json()
            #expect(user["detail"] as? String == "no such user in this tenant")
        }
    }
}

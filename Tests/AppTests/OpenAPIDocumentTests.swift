import Auth
import Foundation
import Hummingbird
import OpenAPIKit
import Testing
import Tenancy
import TestSupport
@testable import Admin
@testable import App

@Suite struct OpenAPIDocumentTests {
    func decodedDocument() throws -> OpenAPI.Document {
        try JSONDecoder().decode(OpenAPI.Document.self, from: try openAPIDocument().encoded())
    }

    @Test func theDocumentIsValidOpenAPI31() throws {
        let document = try decodedDocument()
        #expect(document.openAPIVersion == .v3_1_0)
        try document.validate()
    }

    @Test func everyRegisteredAPIRouteIsDocumented() async throws {
        try await TestDatabase.withServing { database, _ in
            let dependencies = ApplicationDependencies(
                configuration: try TestApplication.configuration(), database: database,
                migrator: Migrator(migrations: try TestDatabase.migrations()), logger: TestDatabase.logger, auditSigner: AuditSigner(privateKey: .init()),
                secrets: try TestSecrets.box())
            let router = try buildRouter(dependencies, metrics: ServerMetrics())
            let document = try decodedDocument()
            let apiRoutes = RouteTable(router: router).entries.filter { $0.openAPIPath.hasPrefix("/api/") }
            #expect(!apiRoutes.isEmpty)
            for route in apiRoutes {
                let item = document.paths[OpenAPI.Path(rawValue: route.openAPIPath)]?.pathItemValue
                let method = OpenAPI.HttpMethod(rawValue: route.method.rawValue.uppercased())
                let documented = method.flatMap { item?[$0] } != nil
                #expect(documented, "\(route.method) \(route.openAPIPath) is not in the OpenAPI document")
            }
        }
    }

    @Test func theDocumentIsServed() async throws {
        try await TestApplication.run { client, _ in
            let response = try await client.execute(uri: "/api/openapi.json", method: .get)
            #expect(response.status == .ok)
            let served = try JSONDecoder().decode(OpenAPI.Document.self, from: Data(response.text.utf8))
            #expect(served.info.title == "Kefu API")
        }
    }
}

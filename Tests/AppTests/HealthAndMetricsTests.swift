import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import App

@Suite struct HealthAndMetricsTests {
    @Test func healthzAnswersWhileTheProcessLives() async throws {
        try await TestApplication.run { client, _ in
            do {
                let response = try await client.execute(uri: "/healthz", method: .get)
                #expect(response.status == .ok)
                #expect(try response.json()["status"] as? String == "ok")
            }
        }
    }

    @Test func readyzIsReadyWhenTheSchemaIsCurrent() async throws {
        try await TestApplication.run { client, _ in
            do {
                let response = try await client.execute(uri: "/readyz", method: .get)
                #expect(response.status == .ok, "\(response.text)")
                let body = try response.json()
                #expect(body["status"] as? String == "ready")
                #expect(body["migrations"] as? Int == (try TestDatabase.migrations().count))
            }
        }
    }

    @Test func readyzIs503WithTheReasonWhenMigrationsArePending() async throws {
        try await TestApplication.run { client, endpoint in
            // Forget the last migration, as if this build were newer than the database.
            try await endpoint.withConnection(logger: TestDatabase.logger) { connection in
                try await connection.query("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)", logger: TestDatabase.logger)
            }
            do {
                let response = try await client.execute(uri: "/readyz", method: .get)
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                let detail = try response.json()["detail"] as? String ?? ""
                #expect(detail.contains("1 migration(s) pending"))
            }
        }
    }

    @Test func everyResponseCarriesARequestIdAndASaneOneIsEchoed() async throws {
        try await TestApplication.run { client, _ in
            do {
                let response = try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: "trace-42.a_b"])
                #expect(response.headers[.requestID] == "trace-42.a_b")
            }
            do {
                let response = try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: "bad id with spaces"])
                let id = response.headers[.requestID] ?? ""
                #expect(id.count == 32)
                #expect(id != "bad id with spaces")
            }
            do {
                let response = try await client.execute(uri: "/api/nothing-here", method: .get)
                #expect(try response.json()["requestId"] as? String == response.headers[.requestID])
            }
        }
    }

    @Test func metricsCountRequestsByRouteAndStatusAndShowThePool() async throws {
        try await TestApplication.run { client, _ in
            for _ in 0..<3 { _ = try await client.execute(uri: "/api/v1/info", method: .get) }
            _ = try await client.execute(uri: "/api/v1/unknown-thing", method: .get)
            do {
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = response.text
                #expect(text.contains(#"kefu_http_requests_total{method="GET",route="/api/v1/info",status="200"} 3"#))
                #expect(text.contains(#"kefu_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
                #expect(text.contains(#"kefu_http_request_duration_seconds_count{method="GET",route="/api/v1/info"} 3"#))
                #expect(text.contains(#"kefu_db_pool_connections{state="in_use"}"#))
                #expect(text.contains(#"kefu_db_pool_connections{state="idle"}"#))
                #expect(text.contains("kefu_db_pool_max_connections 8"))
                #expect(text.contains("kefu_writer_messages_total 0"))
                #expect(text.contains("kefu_writer_batches_total 0"))
            }
        }
    }

    @Test func servesTheStaticStatusPage() async throws {
        try await TestApplication.run { client, _ in
            do {
                let response = try await client.execute(uri: "/", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(response.text.contains("Kefu"))
            }
        }
    }
}

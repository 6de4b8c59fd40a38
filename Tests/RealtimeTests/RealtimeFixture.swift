import Foundation
import Logging
import PostgresNIO
import Tenancy
import TestSupport
@testable import Auth
@testable import Realtime

/// A migrated database with tenant `acme`, its widget, agents and the realtime services (the
/// writer and the background work running), for tests of conversations, assignment and the writer
/// in-process.
struct RealtimeFixture: Sendable {
    let database: Database
    let tenantID: UUID
    let widgetID: UUID
    let hub: Hub
    let writer: MessageWriter
    let service: ConversationService

    static func with(_ body: @Sendable (RealtimeFixture) async throws -> Void) async throws {
        try await TestDatabase.withServing { database, _ in
            let created = try await AccountDirectory(database: database, hasher: PasswordHasher())
                .createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: "violet-harbour-42")
            let tenantID = created.tenant.id
            let widgetID = try await database.withTenant(tenantID) { tx in
                let rows = try await tx.query("""
                    INSERT INTO widgets (tenant_id, name, public_key, identity_secret, allowed_origins)
                    VALUES (\(tenantID), 'Shop', \("kfw_test_" + UUID().uuidString), 'secret', '{*}') RETURNING id
                    """)
                for try await id in rows.decode(UUID.self) { return id }
                throw TestSetupError("no widget")
            }
            let background = BackgroundWork()
            let hub = Hub(database: database, background: background, logger: TestDatabase.logger)
            // Generous deadlines: these tests are about conversations, not the writer's deadlines
            // (WriterBoundsTests and WriterRecoveryLiveTests own those), and a full CI run on two
            // busy cores once kept a round trip waiting past the default 5 s.
            let writer = MessageWriter(database: database, nodeID: "test",
                                       limits: .init(roundTripDeadline: .seconds(30), stallAfter: .seconds(30)),
                                       logger: TestDatabase.logger) { hub.deliver($0) }
            let fixture = RealtimeFixture(
                database: database, tenantID: tenantID, widgetID: widgetID, hub: hub, writer: writer,
                service: ConversationService(
                    database: database, hub: hub, writer: writer, nodeID: "test", background: background,
                    pipeline: MessagePipeline(handlers: [SensitiveWordsHandler(matchers: WordMatchers(database: database, logger: TestDatabase.logger))],
                                              logger: TestDatabase.logger)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await background.run() }
                group.addTask { try await writer.run() }
                defer { group.cancelAll() }
                try await body(fixture)
            }
        }
    }

    /// A new agent (role agent) with `capacity`, online now unless `online` is false.
    func agent(capacity: Int = 5, online: Bool = true, lastAssigned: String? = nil) async throws -> Principal {
        let userID = try await database.withTenant(tenantID) { tx in
            var roleID = UUID()
            for try await id in try await tx.query("SELECT id FROM roles WHERE builtin = 'agent'").decode(UUID.self) { roleID = id }
            let rows = try await tx.query("""
                INSERT INTO users (tenant_id, email, display_name, password_hash, role_id, max_concurrent_chats)
                VALUES (\(tenantID), \(UUID().uuidString.lowercased() + "@acme.example"), 'Agent', 'x', \(roleID), \(capacity)) RETURNING id
                """)
            var userID = UUID()
            for try await id in rows.decode(UUID.self) { userID = id }
            if online {
                try await tx.query("""
                    INSERT INTO agent_presence (tenant_id, user_id, status, last_assigned_at)
                    VALUES (\(tenantID), \(userID), 'online', \(lastAssigned)::timestamptz)
                    """)
            }
            return userID
        }
        return Principal(tenantID: tenantID, userID: userID, credential: .session(UUID()), permissions: BuiltinRole.agent.permissions)
    }

    /// A queued conversation of a new visitor.
    func queuedConversation() async throws -> UUID {
        try await database.withTenant(tenantID) { tx in
            var visitorID = UUID()
            let visitors = try await tx.query("""
                INSERT INTO visitors (tenant_id, widget_id, token_hash) VALUES (\(tenantID), \(widgetID), \(Data(UUID().uuidString.utf8))) RETURNING id
                """)
            for try await id in visitors.decode(UUID.self) { visitorID = id }
            return try await ConversationStore.create(widgetID: widgetID, visitorID: visitorID, teamID: nil, in: tx).id
        }
    }

    func conversation(_ id: UUID) async throws -> Conversation {
        try await database.withTenant(tenantID) { tx in try await ConversationStore.load(id, in: tx) }!
    }

    var settings: ConversationSettings { ConversationSettings() }
}

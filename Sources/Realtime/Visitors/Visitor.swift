import Auth
import Foundation
import PostgresNIO
import Tenancy

/// A visitor's profile as agents see it. The token is never part of it.
public struct Visitor: Sendable, Codable, Equatable {
    public let id: UUID
    public let widgetId: UUID
    /// The site's own user id, set only by a verified identity.
    public let externalId: String?
    public let name: String
    public let email: String
    public let phone: String
    public let attributes: [String: AttributeValue]
    public let pageUrl: String
    public let referrer: String
    public let userAgent: String
    public let language: String
    public let createdAt: Date
    public let lastSeenAt: Date
}

/// Visitors for the REST API: a keyset-paginated list (filter by widget, search by name or
/// email) and one profile.
public struct VisitorQueries: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    static let columns = """
        id, widget_id, external_id, name, email, phone, attributes::text, page_url, referrer, user_agent, language, created_at, last_seen_at,
        (extract(epoch FROM created_at) * 1000000)::bigint
        """

    public func list(widgetID: UUID?, text: String?, page: PageRequest, tenantID: UUID) async throws -> Page<Visitor> {
        let pattern = text.map(LikePattern.containing)
        return try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("""
                SELECT \(unescaped: Self.columns) FROM visitors
                WHERE \(page.afterCondition)
                  AND (\(widgetID)::uuid IS NULL OR widget_id = \(widgetID))
                  AND (\(pattern)::text IS NULL OR name ILIKE \(pattern) OR email ILIKE \(pattern) OR external_id ILIKE \(pattern))
                ORDER BY created_at, id LIMIT \(page.limit + 1)
                """)
            return Page(rows: try await Self.decode(rows), limit: page.limit)
        }
    }

    /// The visitor; with `assignedTo`, only if one of their conversations is assigned to that agent.
    public func get(_ id: UUID, tenantID: UUID, assignedTo agentID: UUID? = nil) async throws -> Visitor {
        try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("""
                SELECT \(unescaped: Self.columns) FROM visitors
                WHERE id = \(id) AND (\(agentID)::uuid IS NULL
                    OR EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = visitors.id AND c.assignee_id = \(agentID)))
                """)
            guard let visitor = try await Self.decode(rows).first?.item else { throw RealtimeError.visitorNotFound }
            return visitor
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [(item: Visitor, cursor: PageCursor)] {
        var result: [(item: Visitor, cursor: PageCursor)] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            let attributes = try c[6].decode(String.self)
            let visitor = Visitor(
                id: try c[0].decode(UUID.self), widgetId: try c[1].decode(UUID.self), externalId: try c[2].decode(String?.self),
                name: try c[3].decode(String.self), email: try c[4].decode(String.self), phone: try c[5].decode(String.self),
                attributes: (try? JSONDecoder().decode([String: AttributeValue].self, from: Data(attributes.utf8))) ?? [:],
                pageUrl: try c[7].decode(String.self), referrer: try c[8].decode(String.self), userAgent: try c[9].decode(String.self),
                language: try c[10].decode(String.self), createdAt: try c[11].decode(Date.self), lastSeenAt: try c[12].decode(Date.self))
            result.append((visitor, PageCursor(createdAtMicros: try c[13].decode(Int64.self), id: visitor.id)))
        }
        return result
    }
}

import Auth
import Foundation
import PostgresNIO
import Tenancy

/// A canned reply: a shortcut and the text it stands for.
public struct CannedReply: Sendable, Equatable {
    public var id: UUID
    public var shortcut: String
    public var body: String
    /// nil: for the whole tenant.
    public var teamID: UUID?
}

/// The tenant's canned replies: read by anyone who replies (`conversations.reply`) — the
/// tenant's and those of their teams — and edited with `canned.manage`, every change audited.
public struct CannedReplyStore: Sendable {
    let database: Database

    /// The variables a reply may hold, filled in by the workspace when it is inserted.
    public static let variables: Set<String> = ["visitor.name", "visitor.email", "visitor.phone", "agent.name"]

    public init(database: Database) {
        self.database = database
    }

    /// Replies the caller may use (all of them with `canned.manage`), in creation order; `search`
    /// narrows to shortcuts or texts containing it.
    public func list(page: PageRequest, search: String?, for caller: Principal) async throws -> Page<CannedReply> {
        let pattern = search.map { LikePattern.containing($0.lowercased()) }
        let everything = caller.has(.cannedManage)
        let filter: SQLFragment = """
            (\(pattern)::text IS NULL OR lower(shortcut) LIKE \(pattern) OR lower(body) LIKE \(pattern))
            AND (\(everything) OR team_id IS NULL OR team_id IN (SELECT team_id FROM team_members WHERE user_id = \(caller.userID)))
            """
        return try await database.keysetPage(page, tenantID: caller.tenantID, columns: Self.columns, from: "canned_replies", where: filter,
                                             decode: Self.decode)
    }

    public func create(shortcut: String?, body: String?, teamID: UUID?, by caller: Principal, origin: RequestOrigin) async throws -> CannedReply {
        guard let shortcut else { throw InvalidFields(field: "shortcut", message: "is required") }
        guard let body else { throw InvalidFields(field: "body", message: "is required") }
        let reply = CannedReply(id: UUID(), shortcut: shortcut, body: body, teamID: teamID)
        try Self.validate(reply)
        return try await database.withTenant(caller.tenantID) { tx in
            try await Self.checkUnique(reply, in: tx)
            try await tx.query("""
                INSERT INTO canned_replies (tenant_id, id, shortcut, body, team_id) VALUES (\(tx.tenantID), \(reply.id), \(reply.shortcut), \(reply.body), \(reply.teamID))
                """)
            try await AuditLog.append(AuditEvent(
                action: "canned_reply.created", actor: caller.actor, targetType: "canned_reply", targetID: reply.id.lowercased,
                changes: ["shortcut": .init(from: nil, to: reply.shortcut)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
            return try await Self.load(reply.id, in: tx)
        }
    }

    /// `teamID: .some(nil)` makes the reply the whole tenant's.
    public func update(_ id: UUID, shortcut: String?, body: String?, teamID: UUID??, by caller: Principal, origin: RequestOrigin) async throws -> CannedReply {
        try await database.withTenant(caller.tenantID) { tx in
            let before = try await Self.load(id, lock: true, in: tx)
            var after = before
            if let shortcut { after.shortcut = shortcut }
            if let body { after.body = body }
            if let teamID { after.teamID = teamID }
            try Self.validate(after)
            try await Self.checkUnique(after, in: tx)
            try await tx.query("""
                UPDATE canned_replies SET shortcut = \(after.shortcut), body = \(after.body), team_id = \(after.teamID), updated_at = now() WHERE id = \(id)
                """)
            var changes: [String: AuditChange] = [:]
            if after.shortcut != before.shortcut { changes["shortcut"] = .init(from: before.shortcut, to: after.shortcut) }
            if after.body != before.body { changes["body"] = .init(from: "\(before.body.count) characters", to: "\(after.body.count) characters") }
            if after.teamID != before.teamID { changes["teamId"] = .init(from: before.teamID?.lowercased, to: after.teamID?.lowercased) }
            if !changes.isEmpty {
                try await AuditLog.append(AuditEvent(
                    action: "canned_reply.updated", actor: caller.actor, targetType: "canned_reply", targetID: id.lowercased, changes: changes,
                    ip: origin.ip, userAgent: origin.userAgent), in: tx)
            }
            return try await Self.load(id, in: tx)
        }
    }

    public func delete(_ id: UUID, by caller: Principal, origin: RequestOrigin) async throws {
        try await database.withTenant(caller.tenantID) { tx in
            let reply = try await Self.load(id, lock: true, in: tx)
            try await tx.query("DELETE FROM canned_replies WHERE id = \(id)")
            try await AuditLog.append(AuditEvent(
                action: "canned_reply.deleted", actor: caller.actor, targetType: "canned_reply", targetID: id.lowercased,
                changes: ["shortcut": .init(from: reply.shortcut, to: nil)], ip: origin.ip, userAgent: origin.userAgent), in: tx)
        }
    }

    /// Every field, and every `{{variable}}` in the text a known one.
    static func validate(_ reply: CannedReply) throws {
        var invalid: [InvalidFields.Field] = []
        let shortcut = reply.shortcut.unicodeScalars
        if !(1...32).contains(shortcut.count) || shortcut.contains(where: { $0.properties.isWhitespace || $0 == "/" || $0.properties.generalCategory == .control }) {
            invalid.append(.init("shortcut", "1 to 32 characters, no spaces or slashes"))
        }
        if !(1...5000).contains(reply.body.unicodeScalars.count) || reply.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            invalid.append(.init("body", "1 to 5,000 characters"))
        }
        let unknown = variables(in: reply.body).subtracting(variables)
        if !unknown.isEmpty {
            invalid.append(.init("body", "unknown variable \(unknown.sorted().map { "{{\($0)}}" }.joined(separator: ", ")); known: "
                + variables.sorted().map { "{{\($0)}}" }.joined(separator: ", ")))
        }
        if !invalid.isEmpty { throw InvalidFields(invalid) }
    }

    /// The names inside `{{…}}` in `text`.
    static func variables(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.insert(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }

    static func checkUnique(_ reply: CannedReply, in tx: TenantTransaction) async throws {
        if let team = reply.teamID {
            for try await count in try await tx.query("SELECT count(*)::int FROM teams WHERE id = \(team)").decode(Int.self) where count == 0 {
                throw InvalidFields(field: "teamId", message: "is not a team of this tenant")
            }
        }
        let rows = try await tx.query("""
            SELECT count(*)::int FROM canned_replies
            WHERE lower(shortcut) = lower(\(reply.shortcut)) AND team_id IS NOT DISTINCT FROM \(reply.teamID) AND id <> \(reply.id)
            """)
        for try await count in rows.decode(Int.self) where count > 0 {
            throw RealtimeError.conflict("A canned reply with the shortcut /\(reply.shortcut) exists already.")
        }
    }

    static let columns = "id, shortcut, body, team_id, (extract(epoch FROM created_at) * 1000000)::bigint"

    static func load(_ id: UUID, lock: Bool = false, in tx: TenantTransaction) async throws -> CannedReply {
        let rows = try await tx.query("SELECT \(unescaped: columns) FROM canned_replies WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")")
        guard let reply = try await decode(rows).first?.item else { throw RealtimeError.cannedReplyNotFound }
        return reply
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [(item: CannedReply, cursor: PageCursor)] {
        var replies: [(item: CannedReply, cursor: PageCursor)] = []
        for try await (id, shortcut, body, team, micros) in rows.decode((UUID, String, String, UUID?, Int64).self) {
            replies.append((CannedReply(id: id, shortcut: shortcut, body: body, teamID: team), PageCursor(createdAtMicros: micros, id: id)))
        }
        return replies
    }
}

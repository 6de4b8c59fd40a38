import Foundation
import PostgresNIO
import Tenancy

/// Each tenant's append-only, hash-chained audit log.
///
/// Appends lock the tenant's head row (`audit_heads`), so appends of one tenant are serialised
/// and tenants never wait for each other. An append runs inside the caller's transaction: the
/// entry commits exactly when the change it records commits.
public struct AuditLog: Sendable {
    static let genesisHash = [UInt8](repeating: 0, count: 32)
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Starts the chain of a tenant just created, inside the transaction that created it
    /// (`TenantDirectory.create(slug:name:_:)`).
    static func startChain(in tx: TenantTransaction) async throws {
        try await tx.query("INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (\(tx.tenantID), 0, \(Data(genesisHash)))")
    }

    /// Appends `event` to the log of the transaction's tenant.
    @discardableResult
    public static func append(_ event: AuditEvent, in tx: TenantTransaction) async throws -> AuditEntry {
        let tenantID = tx.tenantID
        let heads = try await tx.query("SELECT seq, hash FROM audit_heads WHERE tenant_id = \(tenantID) FOR UPDATE")
        var head: (Int64, Data)?
        for try await row in heads.decode((Int64, Data).self) { head = row }
        guard let (lastSeq, lastHash) = head else {
            throw AuditError.noChain(tenantID)
        }
        let seq = lastSeq + 1
        let micros = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
        let changes = AuditCanonicalEncoding.changes(event.changes)
        let canonical = AuditCanonicalEncoding.bytes(
            tenantID: tenantID, seq: seq, occurredAtMicros: micros, actor: event.actor, ip: event.ip,
            userAgent: event.userAgent, action: event.action, targetType: event.targetType,
            targetID: event.targetID, changes: changes)
        let previous = Array(lastHash)
        let hash = AuditCanonicalEncoding.hash(previous: previous, canonical: canonical)
        try await tx.query("""
            INSERT INTO audit_log (tenant_id, seq, occurred_at, actor_type, actor_id, ip, user_agent, action,
                                   target_type, target_id, changes, prev_hash, hash)
            VALUES (\(tenantID), \(seq), to_timestamp(\(Double(micros) / 1_000_000)), \(event.actor.type), \(event.actor.id),
                    \(event.ip), \(event.userAgent), \(event.action), \(event.targetType), \(event.targetID), \(changes),
                    \(Data(previous)), \(Data(hash)))
            """)
        try await tx.query("UPDATE audit_heads SET seq = \(seq), hash = \(Data(hash)) WHERE tenant_id = \(tenantID)")
        return AuditEntry(
            tenantID: tenantID, seq: seq, occurredAtMicros: micros, actor: event.actor, ip: event.ip,
            userAgent: event.userAgent, action: event.action, targetType: event.targetType, targetID: event.targetID,
            changes: changes, previousHash: previous, hash: hash)
    }

    /// Appends `event` in a transaction of its own.
    @discardableResult
    public func append(_ event: AuditEvent, tenantID: UUID) async throws -> AuditEntry {
        try await database.withTenant(tenantID) { tx in try await Self.append(event, in: tx) }
    }

    /// Filters for reading the log; entries come newest first, `beforeSeq` pages backwards.
    public struct Query: Sendable {
        public var action: String?
        public var actorID: UUID?
        public var since: Date?
        public var until: Date?
        public var beforeSeq: Int64?
        public var limit: Int

        public init(action: String? = nil, actorID: UUID? = nil, since: Date? = nil, until: Date? = nil, beforeSeq: Int64? = nil, limit: Int = 50) {
            self.action = action
            self.actorID = actorID
            self.since = since
            self.until = until
            self.beforeSeq = beforeSeq
            self.limit = limit
        }
    }

    public func entries(tenantID: UUID, matching query: Query) async throws -> [AuditEntry] {
        try await database.withTenant(tenantID) { tx in
            try await Self.decode(tx.query("""
                SELECT \(unescaped: Self.columns) FROM audit_log
                WHERE (\(query.action)::text IS NULL OR action = \(query.action))
                  AND (\(query.actorID)::uuid IS NULL OR actor_id = \(query.actorID))
                  AND (\(query.since)::timestamptz IS NULL OR occurred_at >= \(query.since))
                  AND (\(query.until)::timestamptz IS NULL OR occurred_at < \(query.until))
                  AND (\(query.beforeSeq)::bigint IS NULL OR seq < \(query.beforeSeq))
                ORDER BY seq DESC LIMIT \(query.limit)
                """))
        }
    }

    static let columns = """
        tenant_id, seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_type, actor_id, ip, user_agent,
        action, target_type, target_id, changes, prev_hash, hash
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        let columns = (UUID, Int64, Int64, String, UUID?, String, String, String, String, String, String, Data, Data).self
        for try await (tenantID, seq, micros, actorType, actorID, ip, userAgent, action, targetType, targetID, changes, previous, hash) in rows.decode(columns) {
            entries.append(AuditEntry(
                tenantID: tenantID, seq: seq, occurredAtMicros: micros,
                actor: AuditActor(type: actorType, id: actorID) ?? .system, ip: ip, userAgent: userAgent, action: action,
                targetType: targetType, targetID: targetID, changes: changes,
                previousHash: Array(previous), hash: Array(hash)))
        }
        return entries
    }
}

public enum AuditError: Error, Equatable, CustomStringConvertible {
    case noChain(UUID)

    public var description: String {
        switch self {
        case .noChain(let tenant): "tenant \(tenant) has no audit chain"
        }
    }
}

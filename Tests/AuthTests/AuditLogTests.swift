import Crypto
import Foundation
import PostgresNIO
import Tenancy
import Testing
import TestSupport
@testable import Auth

@Suite struct AuditLogTests {
    let logger = TestDatabase.logger
    static let password = "violet-harbour-42"

    struct Fixture {
        let database: Database
        let endpoint: DatabaseEndpoint
        let tenant: Tenant
        let verifier: AuditVerifier
        let signer: AuditSigner
    }

    /// A tenant with a few audited events: tenant.created, user.created, auth.login ×2, auth.login_failed.
    func withAuditedTenant(_ body: @Sendable @escaping (Fixture) async throws -> Void) async throws {
        try await TestDatabase.withServing { database, endpoint in
            let hasher = PasswordHasher()
            let created = try await AccountDirectory(database: database, hasher: hasher)
                .createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: Self.password)
            let login = LoginService(database: database, hasher: hasher, sessions: SessionStore(database: database), secrets: try TestSecrets.box())
            _ = try await login.login(tenantSlug: "acme", email: "boss@acme.example", password: Self.password, ip: "10.1.1.1", userAgent: "ua \"quoted\"\n")
            _ = try? await login.login(tenantSlug: "acme", email: "boss@acme.example", password: "wrong-password", ip: "10.1.1.2", userAgent: "x")
            _ = try await login.login(tenantSlug: "acme", email: "boss@acme.example", password: Self.password, ip: "10.1.1.3", userAgent: "y")
            let signer = AuditSigner(privateKey: .init())
            try await body(Fixture(database: database, endpoint: endpoint, tenant: created.tenant,
                                   verifier: AuditVerifier(database: database, trustedKeys: [signer.publicKey]), signer: signer))
        }
    }

    /// Runs SQL as the table owner with the append-only trigger off: what an attacker with
    /// database access could do.
    func tamper(_ f: Fixture, _ statements: [PostgresQuery]) async throws {
        try await f.endpoint.withConnection(logger: logger) { connection in
            try await connection.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", logger: logger)
            for statement in statements { try await connection.query(statement, logger: logger) }
            try await connection.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only", logger: logger)
        }
    }

    @Test func securityEventsFormAVerifiableChain() async throws {
        try await withAuditedTenant { f in
            let entries = try await AuditLog(database: f.database).entries(tenantID: f.tenant.id, matching: .init(limit: 100))
            #expect(entries.map(\.action) == ["auth.login", "auth.login_failed", "auth.login", "user.created", "tenant.created"])
            #expect(entries.map(\.seq) == [5, 4, 3, 2, 1])
            #expect(entries.first { $0.action == "user.created" }?.changes.contains(#""password":{"from":"[redacted]","to":"[redacted]"}"#) == true)
            #expect(entries.first { $0.action == "auth.login_failed" }?.ip == "10.1.1.2")
            let report = try await f.verifier.verify(tenantID: f.tenant.id)
            #expect(report.ok)
            #expect(report.entries == 5)
        }
    }

    @Test func theDatabaseRefusesUpdatesAndDeletesEvenFromTheOwner() async throws {
        try await withAuditedTenant { f in
            try await f.endpoint.withConnection(logger: logger) { connection in
                await #expect(throws: PSQLError.self) { try await connection.query("UPDATE audit_log SET action = 'x'", logger: logger) }
                await #expect(throws: PSQLError.self) { try await connection.query("DELETE FROM audit_log", logger: logger) }
            }
            // The serving role cannot truncate, update or delete either.
            for statement: PostgresQuery in ["TRUNCATE audit_log", "UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "DELETE FROM audit_heads"] {
                await #expect(throws: PSQLError.self) {
                    try await f.database.withTenant(f.tenant.id) { tx in try await tx.query(statement) }
                }
            }
            #expect(try await f.verifier.verify(tenantID: f.tenant.id).ok)
        }
    }

    @Test func anEditedEntryIsNamed() async throws {
        try await withAuditedTenant { f in
            try await tamper(f, ["UPDATE audit_log SET ip = '192.0.2.1' WHERE seq = 4"])
            let report = try await f.verifier.verify(tenantID: f.tenant.id)
            #expect(!report.ok)
            #expect(report.firstBadSeq == 4)
            #expect(report.reason?.contains("altered") == true)
        }
    }

    @Test func aDeletedEntryIsNamed() async throws {
        try await withAuditedTenant { f in
            try await tamper(f, ["DELETE FROM audit_log WHERE seq = 3"])
            let report = try await f.verifier.verify(tenantID: f.tenant.id)
            #expect(report.firstBadSeq == 3)
            #expect(report.reason?.contains("missing") == true)
        }
    }

    @Test func aDeletedTailIsNamed() async throws {
        try await withAuditedTenant { f in
            try await tamper(f, ["DELETE FROM audit_log WHERE seq = 5"])
            #expect(try await f.verifier.verify(tenantID: f.tenant.id).firstBadSeq == 5)
        }
    }

    @Test func reorderedEntriesAreNamed() async throws {
        try await withAuditedTenant { f in
            try await tamper(f, [
                "UPDATE audit_log SET seq = 99 WHERE seq = 2",
                "UPDATE audit_log SET seq = 2 WHERE seq = 3",
                "UPDATE audit_log SET seq = 3 WHERE seq = 99",
            ])
            #expect(try await f.verifier.verify(tenantID: f.tenant.id).firstBadSeq == 2)
        }
    }

    @Test func anInsertedEntryIsNamed() async throws {
        try await withAuditedTenant { f in
            // Shift entries 3... up by one and slip a forged entry in at 3.
            try await tamper(f, [
                "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3",
                "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103",
                """
                INSERT INTO audit_log (tenant_id, seq, occurred_at, actor_type, action, prev_hash, hash)
                SELECT tenant_id, 3, now(), 'system', 'user.deleted', hash, hash FROM audit_log WHERE seq = 2
                """,
            ])
            let report = try await f.verifier.verify(tenantID: f.tenant.id)
            #expect(report.firstBadSeq == 3)
            #expect(!report.ok)
        }
    }

    @Test func aForgedEntryAppendedPastTheHeadIsNamed() async throws {
        try await withAuditedTenant { f in
            try await tamper(f, ["""
                INSERT INTO audit_log (tenant_id, seq, occurred_at, actor_type, action, prev_hash, hash)
                SELECT tenant_id, 6, now(), 'system', 'user.deleted', hash, hash FROM audit_log WHERE seq = 5
                """])
            #expect(try await f.verifier.verify(tenantID: f.tenant.id).firstBadSeq == 6)
        }
    }

    /// An attacker who rewrites entry 2 and recomputes every later hash and the head passes the
    /// chain check; the signed checkpoint still names entry 5.
    @Test func aChainRewrittenWholeIsCaughtByTheSignedCheckpoint() async throws {
        try await withAuditedTenant { f in
            #expect(try await f.signer.checkpoint(tenantID: f.tenant.id, database: f.database) == 5)
            #expect(try await f.signer.checkpoint(tenantID: f.tenant.id, database: f.database) == nil)
            #expect(try await f.verifier.verify(tenantID: f.tenant.id).checkpointsVerified == 1)

            var entries = try await AuditLog(database: f.database).entries(tenantID: f.tenant.id, matching: .init(limit: 100)).reversed().map { $0 }
            var statements: [PostgresQuery] = []
            var previous = AuditLog.genesisHash
            for index in entries.indices {
                let e = entries[index]
                let ip = e.seq == 2 ? "203.0.113.9" : e.ip
                let hash = AuditCanonicalEncoding.hash(previous: previous, canonical: AuditCanonicalEncoding.bytes(
                    tenantID: e.tenantID, seq: e.seq, occurredAtMicros: e.occurredAtMicros, actor: e.actor, ip: ip,
                    userAgent: e.userAgent, action: e.action, targetType: e.targetType, targetID: e.targetID, changes: e.changes))
                statements.append(try "UPDATE audit_log SET ip = \(ip), prev_hash = \(Data(previous)), hash = \(Data(hash)) WHERE seq = \(e.seq)")
                previous = hash
                entries[index] = e
            }
            statements.append(try "UPDATE audit_heads SET hash = \(Data(previous))")
            try await tamper(f, statements)
            let report = try await f.verifier.verify(tenantID: f.tenant.id)
            #expect(report.firstBadSeq == 5)
            #expect(report.reason?.contains("rewritten") == true)
            // An untrusted key's checkpoint is refused too.
            let stranger = AuditVerifier(database: f.database, trustedKeys: [Curve25519.Signing.PrivateKey().publicKey])
            #expect(try await stranger.verify(tenantID: f.tenant.id).reason?.contains("unknown key") == true)
        }
    }

    @Test func concurrentAppendsGetContiguousSequenceNumbers() async throws {
        try await withAuditedTenant { f in
            let log = AuditLog(database: f.database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await log.append(AuditEvent(action: "settings.changed", actor: .system, targetID: "\(index)"), tenantID: f.tenant.id)
                    }
                }
                try await group.waitForAll()
            }
            let report = try await f.verifier.verify(tenantID: f.tenant.id)
            #expect(report.ok)
            #expect(report.entries == 25)
        }
    }

    @Test func canonicalEncodingIsAsDocumented() {
        let tenant = UUID(uuidString: "00000000-0000-0000-0000-0000000000AA")!
        let bytes = AuditCanonicalEncoding.bytes(
            tenantID: tenant, seq: 7, occurredAtMicros: 1_790_000_000_123_456, actor: .system, ip: "10.0.0.1",
            userAgent: "a\"b\\c\u{1}é", action: "user.created", targetType: "user", targetID: "x",
            changes: AuditCanonicalEncoding.changes(["role": .init(from: nil, to: "agent"), "email": .init(from: "a", to: "b")]))
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"v":1,"tenantId":"00000000-0000-0000-0000-0000000000aa","seq":7,"occurredAtMicros":1790000000123456,"actor":{"type":"system","id":null},"ip":"10.0.0.1","userAgent":"a\"b\\c\u0001é","action":"user.created","target":{"type":"user","id":"x"},"changes":{"email":{"from":"a","to":"b"},"role":{"from":null,"to":"agent"}}}"#)
    }
}

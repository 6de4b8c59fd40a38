import Crypto
import Foundation
import Logging
import PostgresNIO
import Tenancy

/// Walks a tenant's chain from the start and names the first entry that does not fit: edited,
/// deleted, inserted or reordered entries all break it. Signed checkpoints catch a chain that was
/// rewritten whole: the signature covers the head as it was.
public struct AuditVerifier: Sendable {
    /// What verification found.
    public struct Report: Sendable, Equatable, Codable {
        public let ok: Bool
        public let entries: Int64
        public let headSeq: Int64
        public let checkpointsVerified: Int
        /// The first sequence number that does not verify.
        public let firstBadSeq: Int64?
        public let reason: String?
    }

    let database: Database
    /// Public keys whose checkpoint signatures are trusted (this server's, plus any configured).
    let trustedKeys: [Curve25519.Signing.PublicKey]

    public init(database: Database, trustedKeys: [Curve25519.Signing.PublicKey]) {
        self.database = database
        self.trustedKeys = trustedKeys
    }

    public func verify(tenantID: UUID) async throws -> Report {
        try await database.withTenant(tenantID) { tx in
            let heads = try await tx.query("SELECT seq, hash FROM audit_heads WHERE tenant_id = \(tenantID)")
            var head: (Int64, Data)?
            for try await row in heads.decode((Int64, Data).self) { head = row }
            guard let (headSeq, headHash) = head else {
                return Report(ok: false, entries: 0, headSeq: 0, checkpointsVerified: 0, firstBadSeq: 1, reason: "the chain's head is missing")
            }
            func failed(_ seq: Int64, _ reason: String, entries: Int64) -> Report {
                Report(ok: false, entries: entries, headSeq: headSeq, checkpointsVerified: 0, firstBadSeq: seq, reason: reason)
            }

            var previous = AuditLog.genesisHash
            var expected: Int64 = 1
            var hashes: [Int64: [UInt8]] = [:]
            let rows = try await tx.query("SELECT \(unescaped: AuditLog.columns) FROM audit_log ORDER BY seq")
            for entry in try await AuditLog.decode(rows) {
                if entry.seq != expected {
                    return failed(expected, "entry \(expected) is missing (next is \(entry.seq))", entries: expected - 1)
                }
                if entry.previousHash != previous {
                    return failed(entry.seq, "entry \(entry.seq) does not follow entry \(entry.seq - 1): inserted or reordered", entries: expected - 1)
                }
                let canonical = AuditCanonicalEncoding.bytes(
                    tenantID: tenantID, seq: entry.seq, occurredAtMicros: entry.occurredAtMicros, actor: entry.actor,
                    ip: entry.ip, userAgent: entry.userAgent, action: entry.action, targetType: entry.targetType,
                    targetID: entry.targetID, changes: entry.changes)
                if AuditCanonicalEncoding.hash(previous: previous, canonical: canonical) != entry.hash {
                    return failed(entry.seq, "entry \(entry.seq) was altered: its hash does not match its content", entries: expected - 1)
                }
                hashes[entry.seq] = entry.hash
                previous = entry.hash
                expected += 1
            }
            let last = expected - 1
            if headSeq > last {
                return failed(last + 1, "entries \(last + 1)...\(headSeq) are missing", entries: last)
            }
            if headSeq < last {
                return failed(headSeq + 1, "entry \(headSeq + 1) was added outside the chain", entries: last)
            }
            if Array(headHash) != previous {
                return failed(headSeq, "the chain's head does not match entry \(headSeq)", entries: last)
            }

            var verified = 0
            let checkpoints = try await tx.query("SELECT seq, hash, signature, public_key FROM audit_checkpoints ORDER BY seq")
            for try await (seq, hash, signature, publicKey) in checkpoints.decode((Int64, Data, Data, Data).self) {
                guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
                      trustedKeys.contains(where: { $0.rawRepresentation == key.rawRepresentation })
                else { return failed(seq, "checkpoint \(seq) is signed by an unknown key", entries: last) }
                guard key.isValidSignature(signature, for: AuditSigner.signedBytes(tenantID: tenantID, seq: seq, hash: Array(hash))) else {
                    return failed(seq, "checkpoint \(seq) has an invalid signature", entries: last)
                }
                guard hashes[seq] == Array(hash) else {
                    return failed(seq, "entry \(seq) differs from its signed checkpoint: the chain was rewritten", entries: last)
                }
                verified += 1
            }
            return Report(ok: true, entries: last, headSeq: headSeq, checkpointsVerified: verified, firstBadSeq: nil, reason: nil)
        }
    }
}

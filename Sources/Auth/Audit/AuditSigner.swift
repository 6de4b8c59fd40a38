import Crypto
import Foundation
import Logging
import PostgresNIO
import Tenancy

/// Signs audit checkpoints with the server's Ed25519 key, kept in the data directory
/// (`audit-signing.key`, 32 raw bytes, mode 0600) and created on first use. Several nodes may
/// each have their own key: list the others' public keys in `KEFU_AUDIT_TRUSTED_KEYS`.
public struct AuditSigner: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }

    public init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
    }

    /// Loads the key from `directory`, creating it when absent. File I/O: call off the event loop.
    public static func loadOrCreate(in directory: URL) throws -> AuditSigner {
        let url = directory.appendingPathComponent("audit-signing.key")
        if let data = FileManager.default.contents(atPath: url.path) {
            guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: data) else {
                throw AuditSignerError("\(url.path) is not a 32-byte Ed25519 private key")
            }
            return AuditSigner(privateKey: key)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = Curve25519.Signing.PrivateKey()
        guard FileManager.default.createFile(atPath: url.path, contents: key.rawRepresentation, attributes: [.posixPermissions: 0o600]) else {
            throw AuditSignerError("cannot write \(url.path)")
        }
        return AuditSigner(privateKey: key)
    }

    /// The public key as base64, for `KEFU_AUDIT_TRUSTED_KEYS` and external verifiers.
    public var publicKeyBase64: String { publicKey.rawRepresentation.base64EncodedString() }

    /// What a checkpoint signature covers: `kefu-audit-checkpoint-v1 || tenant id (16 bytes) || seq (8 bytes big-endian) || hash`.
    static func signedBytes(tenantID: UUID, seq: Int64, hash: [UInt8]) -> [UInt8] {
        var bytes = Array("kefu-audit-checkpoint-v1".utf8)
        bytes += withUnsafeBytes(of: tenantID.uuid) { Array($0) }
        bytes += withUnsafeBytes(of: seq.bigEndian) { Array($0) }
        bytes += hash
        return bytes
    }

    /// Signs the tenant's current head unless it is already checkpointed; returns the seq signed.
    @discardableResult
    public func checkpoint(tenantID: UUID, database: Database) async throws -> Int64? {
        try await database.withTenant(tenantID) { tx in
            let heads = try await tx.query("SELECT seq, hash FROM audit_heads WHERE tenant_id = \(tenantID)")
            var head: (Int64, Data)?
            for try await row in heads.decode((Int64, Data).self) { head = row }
            guard let (seq, hash) = head, seq > 0 else { return nil }
            let signature = try privateKey.signature(for: Self.signedBytes(tenantID: tenantID, seq: seq, hash: Array(hash)))
            let inserted = try await tx.query("""
                INSERT INTO audit_checkpoints (tenant_id, seq, hash, signature, public_key)
                VALUES (\(tenantID), \(seq), \(hash), \(Data(signature)), \(publicKey.rawRepresentation))
                ON CONFLICT DO NOTHING RETURNING seq
                """)
            for try await signed in inserted.decode(Int64.self) { return signed }
            return nil
        }
    }
}

public struct AuditSignerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

import Crypto
import Foundation
import PostgresNIO

/// The secrets stored in every tenant's rows, for the work that spans them all: the check and
/// clean-up before a node serves, and re-sealing under a new master key. Each tenant is handled
/// in its own tenant-scoped transaction (row-level security stays on); rows are locked while
/// they are rewritten, so nodes starting together do not seal the same row twice.
public struct StoredSecrets: Sendable {
    let database: Database
    /// Every sealed column of the schema (App's `SecretRegistry.columns`).
    public let columns: [SecretColumn]

    public init(database: Database, columns: [SecretColumn]) {
        self.database = database
        self.columns = columns
    }

    /// How many stored secrets of one column one master key sealed.
    public struct KeyUse: Sendable, Equatable {
        public let keyID: String
        public let column: SecretColumn
        public let count: Int
    }

    /// What a pass over the rows changed.
    public struct Report: Sendable, Equatable {
        /// Values found in the clear (left by a version before migration 0010), now sealed.
        public var sealedPlaintext = 0
        /// Values moved from an older master key to the current one.
        public var resealed = 0
    }

    /// The master keys the stored secrets were sealed with, per column, over every tenant.
    public func keyUses() async throws -> [KeyUse] {
        var totals: [String: [SecretColumn: Int]] = [:]
        for tenantID in try await tenantIDs() {
            let uses = try await database.withTenant(tenantID) { tx in
                var uses: [KeyUse] = []
                for column in columns {
                    let rows = try await tx.query("""
                        SELECT \(unescaped: column.keyIDColumn), count(*)::int FROM \(unescaped: column.table)
                        WHERE \(unescaped: column.keyIDColumn) IS NOT NULL GROUP BY 1
                        """)
                    for try await (keyID, count) in rows.decode((String, Int).self) {
                        uses.append(KeyUse(keyID: keyID, column: column, count: count))
                    }
                }
                return uses
            }
            for use in uses { totals[use.keyID, default: [:]][use.column, default: 0] += use.count }
        }
        return totals.keys.sorted().flatMap { keyID in
            columns.compactMap { column in totals[keyID]?[column].map { KeyUse(keyID: keyID, column: column, count: $0) } }
        }
    }

    /// Before a node serves: refuses with `SecretError.missingKey` (naming the key id) when a
    /// stored secret was sealed under a key `box` lacks, so a misconfigured node never starts
    /// and then fails on every login; then seals whatever an older version left in the clear.
    /// Running it again changes nothing.
    public func prepareForServing(with box: SecretBox) async throws -> Report {
        let uses = try await keyUses()
        if let missing = uses.first(where: { box.keys.key(id: $0.keyID) == nil }) {
            let count = uses.filter { $0.keyID == missing.keyID }.reduce(0) { $0 + $1.count }
            throw SecretError.missingKey(id: missing.keyID, needed: "it sealed \(count) stored secret\(count == 1 ? "" : "s"), e.g. in \(missing.column)")
        }
        return try await rewrite(with: box, resealOldKeys: false)
    }

    /// Seals every stored secret under `box`'s current key: values under older keys are opened
    /// and sealed again, values in the clear are sealed. Each tenant's rows change in one
    /// transaction; a pass cut short can simply be run again.
    public func resealAll(with box: SecretBox) async throws -> Report {
        try await rewrite(with: box, resealOldKeys: true)
    }

    /// When a master key is lost: replaces every stored secret sealed with it as its column's
    /// `whenLost` says (removed, or a new random value sealed under `box`'s current key), so
    /// nodes can start again. Returns how many were replaced, per column.
    public func discard(keyID: String, with box: SecretBox) async throws -> [SecretColumn: Int] {
        var discarded: [SecretColumn: Int] = [:]
        for tenantID in try await tenantIDs() {
            let counts = try await database.withTenant(tenantID) { tx in
                var counts: [SecretColumn: Int] = [:]
                for column in columns {
                    let rows = try await tx.query("""
                        SELECT id FROM \(unescaped: column.table) WHERE \(unescaped: column.keyIDColumn) = \(keyID) FOR UPDATE
                        """)
                    var ids: [UUID] = []
                    for try await id in rows.decode(UUID.self) { ids.append(id) }
                    guard !ids.isEmpty else { continue }
                    switch column.whenLost {
                    case .remove:
                        try await tx.query("""
                            UPDATE \(unescaped: column.table) SET \(unescaped: column.sealedColumn) = NULL, \(unescaped: column.keyIDColumn) = NULL
                            WHERE id = ANY(\(ids))
                            """)
                    case .replaceWithRandomHex(let bytes):
                        let sealed = try ids.map { id in
                            let value = SymmetricKey(size: .init(bitCount: bytes * 8)).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
                            return (id, try box.seal(Data(value.utf8), at: column.location(tenantID: tx.tenantID, rowID: id)))
                        }
                        try await store(sealed, in: column, clearing: nil, tx: tx)
                    }
                    counts[column] = ids.count
                }
                return counts
            }
            discarded.merge(counts, uniquingKeysWith: +)
        }
        return discarded
    }

    // MARK: - Rows

    private func rewrite(with box: SecretBox, resealOldKeys: Bool) async throws -> Report {
        var report = Report()
        for tenantID in try await tenantIDs() {
            let tenantReport = try await database.withTenant(tenantID) { tx in
                var report = Report()
                for column in columns {
                    report.sealedPlaintext += try await sealPlaintext(of: column, with: box, in: tx)
                    if resealOldKeys { report.resealed += try await reseal(column, with: box, in: tx) }
                }
                return report
            }
            report.sealedPlaintext += tenantReport.sealedPlaintext
            report.resealed += tenantReport.resealed
        }
        return report
    }

    private func sealPlaintext(of column: SecretColumn, with box: SecretBox, in tx: TenantTransaction) async throws -> Int {
        guard let plaintext = column.plaintext else { return 0 }
        let value = switch plaintext {
        case .bytea(let name): name
        case .text(let name): "convert_to(\(name), 'UTF8')"
        }
        let rows = try await tx.query("""
            SELECT id, \(unescaped: value) FROM \(unescaped: column.table) WHERE \(unescaped: plaintext.column) IS NOT NULL FOR UPDATE
            """)
        var sealed: [(UUID, SealedSecret)] = []
        for try await (id, secret) in rows.decode((UUID, Data).self) {
            sealed.append((id, try box.seal(secret, at: column.location(tenantID: tx.tenantID, rowID: id))))
        }
        try await store(sealed, in: column, clearing: plaintext.column, tx: tx)
        return sealed.count
    }

    private func reseal(_ column: SecretColumn, with box: SecretBox, in tx: TenantTransaction) async throws -> Int {
        let rows = try await tx.query("""
            SELECT id, \(unescaped: column.sealedColumn), \(unescaped: column.keyIDColumn) FROM \(unescaped: column.table)
            WHERE \(unescaped: column.keyIDColumn) <> \(box.keys.current.id) FOR UPDATE
            """)
        var sealed: [(UUID, SealedSecret)] = []
        for try await (id, ciphertext, keyID) in rows.decode((UUID, Data, String).self) {
            let location = column.location(tenantID: tx.tenantID, rowID: id)
            let secret = try box.open(SealedSecret(keyID: keyID, ciphertext: ciphertext), at: location)
            sealed.append((id, try box.seal(secret, at: location)))
        }
        try await store(sealed, in: column, clearing: nil, tx: tx)
        return sealed.count
    }

    /// Writes sealed values (all under one key) in batches of a thousand rows.
    private func store(_ sealed: [(UUID, SealedSecret)], in column: SecretColumn, clearing plaintext: String?, tx: TenantTransaction) async throws {
        let clear = plaintext.map { ", \($0) = NULL" } ?? ""
        var start = 0
        while start < sealed.count {
            let batch = sealed[start..<min(start + 1000, sealed.count)]
            start += batch.count
            let ids = batch.map(\.0)
            let ciphertexts = batch.map { $0.1.ciphertext.base64EncodedString() }
            let keyIDs = batch.map(\.1.keyID)
            try await tx.query("""
                UPDATE \(unescaped: column.table) AS t
                SET \(unescaped: column.sealedColumn) = decode(s.sealed, 'base64'), \(unescaped: column.keyIDColumn) = s.key_id\(unescaped: clear)
                FROM unnest(\(ids)::uuid[], \(ciphertexts)::text[], \(keyIDs)::text[]) AS s(id, sealed, key_id)
                WHERE t.id = s.id
                """)
        }
    }

    private func tenantIDs() async throws -> [UUID] {
        try await TenantDirectory(database: database).list().map(\.id)
    }
}

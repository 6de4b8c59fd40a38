import Foundation

/// A column of a tenant-owned table that holds a secret Kefu must be able to read back (a TOTP
/// seed, a widget identity secret, an LLM API key), stored sealed: `<name>_sealed` (bytea,
/// AES-GCM nonce ‖ ciphertext ‖ tag) and `<name>_key_id` (the sealing master key's id). The
/// table's primary key is `(tenant_id, id uuid)`.
///
/// Each module declares its columns next to the code that reads them; App lists them all for
/// start-up and `kefu secrets rotate-key` (see `StoredSecrets`).
public struct SecretColumn: Sendable, Hashable, CustomStringConvertible {
    /// How a value was stored before it was sealed, by versions before migration 0010.
    public enum Plaintext: Sendable, Hashable {
        case bytea(column: String)
        /// Read as its UTF-8 bytes.
        case text(column: String)

        var column: String {
            switch self {
            case .bytea(let column), .text(let column): column
            }
        }
    }

    /// What `kefu secrets discard-lost-key` leaves in place of a value whose master key is lost.
    public enum WhenLost: Sendable, Hashable {
        /// The value is removed (the columns are nullable).
        case remove
        /// A new random value nobody knows replaces it (`bytes` random bytes as lowercase hex
        /// text), for a column that must hold one; an administrator replaces it again to learn it.
        case replaceWithRandomHex(bytes: Int)
    }

    public let table: String
    public let name: String
    /// The plaintext column an older version may have left values in; sealed and cleared at start.
    public let plaintext: Plaintext?
    public let whenLost: WhenLost

    /// `table`, `name` and the plaintext column are SQL identifiers written into queries: only
    /// ever constants, never input.
    public init(table: String, name: String, plaintext: Plaintext? = nil, whenLost: WhenLost = .remove) {
        self.table = table
        self.name = name
        self.plaintext = plaintext
        self.whenLost = whenLost
    }

    public var sealedColumn: String { name + "_sealed" }
    public var keyIDColumn: String { name + "_key_id" }
    public var description: String { table + "." + name }

    /// Where one value lives: what its ciphertext is bound to.
    public func location(tenantID: UUID, rowID: UUID) -> SecretLocation {
        SecretLocation(column: self, tenantID: tenantID, rowID: rowID)
    }
}

/// One secret's place, `tenant / table.column / row`. Its bytes are the AES-GCM associated
/// data, so a ciphertext copied to another row, column or tenant does not open.
public struct SecretLocation: Sendable, Hashable, CustomStringConvertible {
    public let column: SecretColumn
    public let tenantID: UUID
    public let rowID: UUID

    var associatedData: Data {
        Data("kefu-secret-v1\u{0}\(tenantID.lowercased)\u{0}\(column.table).\(column.name)\u{0}\(rowID.lowercased)".utf8)
    }

    public var description: String {
        "\(column) of row \(rowID.lowercased) (tenant \(tenantID.lowercased))"
    }
}

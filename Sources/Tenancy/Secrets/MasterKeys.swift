import Crypto
import Foundation

/// The master keys that seal secrets at rest (AES-256-GCM): the first seals, every one opens.
/// A key is known by its id, the first 8 hex digits of its SHA-256, stored beside each
/// ciphertext; the id reveals nothing usable about the key.
public struct MasterKeys: Sendable {
    /// One 256-bit key and its id.
    public struct Key: Sendable {
        public let id: String
        let material: SymmetricKey

        init(_ material: SymmetricKey) {
            self.material = material
            self.id = material.withUnsafeBytes { bytes in
                SHA256.hash(data: bytes).prefix(4).map { String(format: "%02x", $0) }.joined()
            }
        }

        /// The key as base64, the form `KEFU_MASTER_KEY` and the key file hold.
        public var base64: String { material.withUnsafeBytes { Data($0).base64EncodedString() } }
    }

    public static let keyBytes = 32

    /// Every key, the current (sealing) one first; no id appears twice.
    public let all: [Key]

    /// The key new ciphertexts are sealed with.
    public var current: Key { all[0] }

    /// - Throws: `SecretError.invalidKey` for an empty list or a key that is not 32 bytes.
    public init(_ keys: [SymmetricKey], source: String) throws {
        guard !keys.isEmpty else { throw SecretError.invalidKey(source: source, detail: "no key given") }
        var seen = Set<String>()
        var unique: [Key] = []
        for (index, material) in keys.enumerated() {
            guard material.bitCount == Self.keyBytes * 8 else {
                throw SecretError.invalidKey(source: source, detail: "key \(index + 1) is \(material.bitCount / 8) bytes, expected \(Self.keyBytes)")
            }
            let key = Key(material)
            if seen.insert(key.id).inserted { unique.append(key) }
        }
        all = unique
    }

    /// Parses base64 keys separated by commas (`KEFU_MASTER_KEY`) or, with `lines`, one a line
    /// (the key file, where lines starting with `#` are comments); blank entries are skipped.
    /// Errors name the entry by position, never by value.
    public init(parsing text: String, source: String, lines: Bool = false) throws {
        let entries = text.split(whereSeparator: { lines ? $0.isNewline : $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !(lines && $0.hasPrefix("#")) }
        let keys = try entries.enumerated().map { index, entry in
            try Self.key(base64: entry, source: source, position: entries.count > 1 ? "key \(index + 1)" : "the key")
        }
        try self.init(keys, source: source)
    }

    /// One key from its base64 text (`--new-key`). The error never contains the text.
    public static func key(base64 text: String, source: String, position: String = "the key") throws -> SymmetricKey {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == keyBytes else {
            throw SecretError.invalidKey(source: source, detail: "\(position) is not \(keyBytes) bytes of base64 (make one with: openssl rand -base64 32)")
        }
        return SymmetricKey(data: data)
    }

    /// A new random key.
    public static func generateKey() -> SymmetricKey {
        SymmetricKey(size: .bits256)
    }

    /// The key with `id`, if this process has it.
    public func key(id: String) -> Key? {
        all.first { $0.id == id }
    }

    /// These keys with `key` made current: moved to the front if present, otherwise added there.
    public func making(current key: SymmetricKey) throws -> MasterKeys {
        try MasterKeys([key] + all.map(\.material), source: "the new key")
    }

    /// Every key as base64, comma-separated, current first: a value for `KEFU_MASTER_KEY`.
    public var environmentValue: String {
        all.map(\.base64).joined(separator: ",")
    }
}

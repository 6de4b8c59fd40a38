import Crypto
import Foundation

/// Seals and opens secrets at rest with AES-256-GCM under the master keys, each ciphertext
/// bound to its place (`SecretLocation`) as associated data. A value type holding the keys:
/// pass it to the services that store secrets; nothing reaches it globally. Sealing or opening
/// one secret costs a few microseconds.
public struct SecretBox: Sendable {
    public let keys: MasterKeys

    public init(keys: MasterKeys) {
        self.keys = keys
    }

    /// Seals `plaintext` for `location` under the current key, with a fresh random nonce.
    public func seal(_ plaintext: some DataProtocol, at location: SecretLocation) throws -> SealedSecret {
        let key = keys.current
        let box = try AES.GCM.seal(plaintext, using: key.material, authenticating: location.associatedData)
        // `combined` is nil only for nonces of a non-standard size; `seal` makes 12-byte ones.
        guard let combined = box.combined else { throw SecretError.rejected(keyID: key.id, location: location.description) }
        return SealedSecret(keyID: key.id, ciphertext: combined)
    }

    /// Opens a secret sealed for `location`.
    /// - Throws: `SecretError.missingKey` naming the key id this process lacks, or
    ///   `SecretError.rejected` when the ciphertext was altered or belongs elsewhere.
    public func open(_ sealed: SealedSecret, at location: SecretLocation) throws -> Data {
        guard let key = keys.key(id: sealed.keyID) else {
            throw SecretError.missingKey(id: sealed.keyID, needed: "to open \(location.column)")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.ciphertext)
            return try AES.GCM.open(box, using: key.material, authenticating: location.associatedData)
        } catch {
            throw SecretError.rejected(keyID: sealed.keyID, location: location.description)
        }
    }

    /// Opens a secret stored as UTF-8 text (a widget identity secret).
    public func openText(_ sealed: SealedSecret, at location: SecretLocation) throws -> String {
        String(decoding: try open(sealed, at: location), as: UTF8.self)
    }
}

/// A sealed secret as stored: the id of the master key that sealed it, and AES-GCM's
/// nonce ‖ ciphertext ‖ tag.
public struct SealedSecret: Sendable, Equatable {
    public let keyID: String
    public let ciphertext: Data

    public init(keyID: String, ciphertext: Data) {
        self.keyID = keyID
        self.ciphertext = ciphertext
    }

    /// The pair as two nullable columns hold it: nil when both are NULL.
    public init?(ciphertext: Data?, keyID: String?) {
        guard let ciphertext, let keyID else { return nil }
        self.init(keyID: keyID, ciphertext: ciphertext)
    }
}

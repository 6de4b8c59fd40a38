/// Why a secret could not be sealed or opened, or why the master keys are unusable. Every
/// description is one line for the operator and never contains key material or a secret.
public enum SecretError: Error, Equatable, CustomStringConvertible {
    /// A stored secret was sealed under a master key this process does not have.
    case missingKey(id: String, needed: String)
    /// The ciphertext does not open under its key here: changed, truncated, or moved from
    /// another row or column (the associated data no longer matches).
    case rejected(keyID: String, location: String)
    /// A master key given in `KEFU_MASTER_KEY`, `--new-key` or the key file is not 32 bytes of base64.
    case invalidKey(source: String, detail: String)
    /// The key file could not be read, created or rewritten.
    case keyFile(path: String, detail: String)

    public var description: String {
        switch self {
        case .missingKey(let id, let needed):
            "the stored secrets need master key \(id), which this node lacks (\(needed)); "
                + "give it the same KEFU_MASTER_KEY as the other nodes, or restore master.key from its backup"
        case .rejected(let keyID, let location):
            "the secret in \(location) does not open under master key \(keyID): it was changed or copied from another row"
        case .invalidKey(let source, let detail):
            "invalid master key in \(source): \(detail)"
        case .keyFile(let path, let detail):
            "master key file \(path): \(detail)"
        }
    }
}

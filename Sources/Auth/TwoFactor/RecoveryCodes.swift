import Crypto
import Foundation

/// Single-use recovery codes for when the authenticator is lost: ten codes of ten base32
/// characters (50 bits each), shown once, stored as SHA-256.
public enum RecoveryCodes {
    public static let count = 10
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")

    /// New codes, formatted `xxxxx-xxxxx`.
    public static func generate() -> [String] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in
            let characters = (0..<10).map { _ in alphabet.randomElement(using: &generator)! }
            return String(characters[0..<5]) + "-" + String(characters[5..<10])
        }
    }

    /// The stored form of a code as typed: case, spaces and dashes do not matter.
    public static func hash(_ typed: String) -> Data {
        let normalized = typed.lowercased().filter { $0 != "-" && !$0.isWhitespace }
        return Data(SHA256.hash(data: Data(normalized.utf8)))
    }

    /// Whether `typed` looks like a recovery code rather than a TOTP code.
    static func looksLikeOne(_ typed: String) -> Bool {
        let normalized = typed.lowercased().filter { $0 != "-" && !$0.isWhitespace }
        return normalized.count == 10 && normalized.allSatisfy { alphabet.contains($0) }
    }
}

import Foundation

/// The rules a new password must meet: at least 10 characters, not the account's email (or its
/// local part), and not on the list of common passwords shipped with Kefu.
public struct PasswordPolicy: Sendable {
    public static let minimumLength = 10
    public static let maximumLength = 256

    public enum Violation: Error, Equatable, CustomStringConvertible {
        case tooShort
        case tooLong
        case sameAsEmail
        case common

        public var description: String {
            switch self {
            case .tooShort: "must be at least \(PasswordPolicy.minimumLength) characters"
            case .tooLong: "must be at most \(PasswordPolicy.maximumLength) characters"
            case .sameAsEmail: "must not be the email address"
            case .common: "is too common; choose a less guessable one"
            }
        }
    }

    public init() {}

    /// Throws the first rule `password` breaks.
    public func check(_ password: String, email: String) throws {
        guard password.count >= Self.minimumLength else { throw Violation.tooShort }
        guard password.count <= Self.maximumLength else { throw Violation.tooLong }
        let lowered = password.lowercased()
        let emailLowered = email.lowercased()
        let localPart = emailLowered.split(separator: "@").first.map(String.init) ?? emailLowered
        if lowered == emailLowered || lowered == localPart { throw Violation.sameAsEmail }
        if CommonPasswords.all.contains(lowered) { throw Violation.common }
    }
}

import Foundation

/// A person who signs in to a tenant: an agent, supervisor, admin or owner.
public struct User: Sendable, Equatable, Codable {
    public let id: UUID
    public let tenantID: UUID
    public var email: String
    public var displayName: String
    public var status: String
    public var roleID: UUID
    public var maxConcurrentChats: Int
    public let createdAt: Date
}

/// The signed-in caller of a request: who, in which tenant, allowed to do what.
public struct Principal: Sendable, Equatable {
    public let tenantID: UUID
    public let userID: UUID
    /// The session behind a cookie or bearer token.
    public let sessionID: UUID
    public let permissions: Set<Permission>

    public init(tenantID: UUID, userID: UUID, sessionID: UUID, permissions: Set<Permission>) {
        self.tenantID = tenantID
        self.userID = userID
        self.sessionID = sessionID
        self.permissions = permissions
    }

    public func has(_ permission: Permission) -> Bool { permissions.contains(permission) }
}

/// Why an account operation was refused.
public enum AccountError: Error, Equatable, CustomStringConvertible {
    case invalidEmail
    case emailTaken
    case weakPassword(PasswordPolicy.Violation)
    case invalidCredentials
    case accountDisabled

    public var description: String {
        switch self {
        case .invalidEmail: "invalid email address"
        case .emailTaken: "a user with this email already exists in the tenant"
        case .weakPassword(let violation): "password \(violation)"
        case .invalidCredentials: "the tenant, email or password is wrong"
        case .accountDisabled: "this account is disabled"
        }
    }

    /// A light check; the address is proven by use, not by a regular expression.
    static func validate(email: String) throws {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !email.contains(where: { $0.isWhitespace })
        else { throw AccountError.invalidEmail }
    }
}

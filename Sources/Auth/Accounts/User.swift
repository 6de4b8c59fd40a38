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
    public var teamIDs: [UUID]
    public var twoFactorEnabled: Bool
    public let createdAt: Date
}

/// The signed-in caller of a request: who, in which tenant, allowed to do what.
public struct Principal: Sendable, Equatable {
    /// What the caller presented.
    public enum Credential: Sendable, Equatable {
        case session(UUID)
        case apiToken(UUID)
    }

    public let tenantID: UUID
    /// The user, or for an API token the user who created it.
    public let userID: UUID
    public let credential: Credential
    /// What the caller may do now: the role's permissions (narrowed to the token's for API
    /// tokens), or none while a required second factor is not yet enrolled.
    public let permissions: Set<Permission>
    /// Whether the user holds the built-in owner role (never true for API tokens).
    public let isOwner: Bool
    /// The tenant requires 2FA for this user's administrative role and none is enrolled yet:
    /// the role's permissions wait until it is.
    public let twoFactorEnrolmentRequired: Bool

    public init(tenantID: UUID, userID: UUID, credential: Credential, permissions: Set<Permission>,
                isOwner: Bool = false, twoFactorEnrolmentRequired: Bool = false) {
        self.tenantID = tenantID
        self.userID = userID
        self.credential = credential
        self.permissions = twoFactorEnrolmentRequired ? [] : permissions
        self.isOwner = isOwner && !twoFactorEnrolmentRequired
        self.twoFactorEnrolmentRequired = twoFactorEnrolmentRequired
    }

    public func has(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// The login session behind a cookie or bearer session token; `nil` for API tokens.
    public var sessionID: UUID? {
        if case .session(let id) = credential { id } else { nil }
    }

    /// How the audit log names this caller.
    public var actor: AuditActor {
        switch credential {
        case .session: .user(userID)
        case .apiToken(let id): .token(id)
        }
    }
}

/// Why an account operation was refused.
public enum AccountError: Error, Equatable, CustomStringConvertible {
    case invalidEmail
    case emailTaken
    case weakPassword(PasswordPolicy.Violation)
    case invalidCredentials
    case accountDisabled
    /// The password was right; the account also needs a TOTP or recovery code (`totp`).
    case secondFactorRequired
    /// The TOTP or recovery code was wrong, already used, or out of date.
    case secondFactorInvalid

    public var description: String {
        switch self {
        case .invalidEmail: "invalid email address"
        case .emailTaken: "a user with this email already exists in the tenant"
        case .weakPassword(let violation): "password \(violation)"
        case .invalidCredentials: "the tenant, email or password is wrong"
        case .accountDisabled: "this account is disabled"
        case .secondFactorRequired: "this account uses two-factor authentication: send the authenticator's code as totp"
        case .secondFactorInvalid: "the two-factor code is wrong, expired or already used"
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

import Foundation

/// A customer organisation. Everything else Kefu stores belongs to exactly one tenant.
public struct Tenant: Sendable, Equatable, Codable {
    public let id: UUID
    public let slug: String
    public let name: String
    public let status: String
    public let createdAt: Date

    public init(id: UUID, slug: String, name: String, status: String, createdAt: Date) {
        self.id = id
        self.slug = slug
        self.name = name
        self.status = status
        self.createdAt = createdAt
    }
}

/// Why a tenant could not be created or found.
public enum TenantError: Error, Equatable, CustomStringConvertible {
    case invalidSlug(String)
    case invalidName
    case slugTaken(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .invalidSlug(let slug):
            "invalid tenant slug '\(slug)': use 2-63 lowercase letters, digits and hyphens, starting with a letter or digit"
        case .invalidName:
            "invalid tenant name: give 1-200 characters"
        case .slugTaken(let slug):
            "a tenant with slug '\(slug)' already exists"
        case .notFound(let slug):
            "no tenant with slug '\(slug)'"
        }
    }

    /// The rule the database also checks, so the CLI and API can refuse early and clearly.
    public static func validate(slug: String, name: String) throws {
        let scalars = Array(slug.unicodeScalars)
        let allowed = { (scalar: Unicode.Scalar) in ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" }
        guard (2...63).contains(scalars.count), scalars.allSatisfy(allowed), scalars.first != "-" else {
            throw TenantError.invalidSlug(slug)
        }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, name.count <= 200 else { throw TenantError.invalidName }
    }
}

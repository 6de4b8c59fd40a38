import Crypto
import Foundation
import Tenancy

/// An opaque bearer secret: a prefix naming its kind, then base64url(tenant id ‖ 32 random bytes).
///
/// The 256 random bits are the secret. The tenant id travels with it so the server can open the
/// right tenant's scope (row-level security) before looking the token up; only its SHA-256 is stored.
public struct OpaqueToken: Sendable, Equatable {
    /// What a token opens: a login session (`kfs_`) or an API token (`kft_`).
    public enum Kind: String, Sendable, CaseIterable {
        case session = "kfs_"
        case api = "kft_"
    }

    public let kind: Kind
    public let value: String
    public let tenantID: UUID

    /// A new random token of `kind` for `tenantID`.
    public init(_ kind: Kind, tenantID: UUID) {
        var generator = SystemRandomNumberGenerator()
        var bytes = withUnsafeBytes(of: tenantID.uuid) { Array($0) }
        bytes += (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        self.kind = kind
        self.value = kind.rawValue + Data(bytes).base64URLEncoded()
        self.tenantID = tenantID
    }

    /// Parses a presented token; `nil` when it is not one of ours.
    public init?(parsing text: String) {
        guard text.count < 100, let kind = Kind.allCases.first(where: { text.hasPrefix($0.rawValue) }),
              let bytes = Data(base64URLEncoded: String(text.dropFirst(kind.rawValue.count))), bytes.count == 48
        else { return nil }
        let id = bytes.prefix(16).withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) }
        self.kind = kind
        self.value = text
        self.tenantID = UUID(uuid: id)
    }

    /// What the database stores.
    public var hash: Data { Data(SHA256.hash(data: Data(value.utf8))) }
}

/// A public or secret key that carries its tenant: base64url(tenant id ‖ `randomBytes` random
/// bytes). The server reads the tenant back to open that tenant's scope before any lookup.
public enum TenantKey {
    public static func make(tenantID: UUID, randomBytes: Int) -> String {
        var bytes = withUnsafeBytes(of: tenantID.uuid) { Array($0) }
        bytes += (0..<randomBytes).map { _ in UInt8.random(in: .min ... .max) }
        return Data(bytes).base64URLEncoded()
    }

    /// The tenant of a key made with `randomBytes`, or nil when it is not one.
    public static func tenantID(of text: some StringProtocol, randomBytes: Int) -> UUID? {
        guard text.count < 100, let data = Data(base64URLEncoded: String(text)), data.count == 16 + randomBytes else { return nil }
        return UUID(uuid: data.prefix(16).withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) })
    }
}

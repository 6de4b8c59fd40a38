import Crypto
import Foundation

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

extension Data {
    func base64URLEncoded() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}

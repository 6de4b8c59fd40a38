import Foundation

/// Who did something recorded in the audit log.
public enum AuditActor: Sendable, Equatable {
    case user(UUID)
    case token(UUID)
    case system

    /// `user`, `token` or `system`.
    public var typeName: String { type }
    /// The user or token id; `nil` for the system.
    public var userOrTokenID: UUID? { id }

    var type: String {
        switch self {
        case .user: "user"
        case .token: "token"
        case .system: "system"
        }
    }

    var id: UUID? {
        switch self {
        case .user(let id), .token(let id): id
        case .system: nil
        }
    }

    init?(type: String, id: UUID?) {
        switch (type, id) {
        case ("user", let id?): self = .user(id)
        case ("token", let id?): self = .token(id)
        case ("system", nil): self = .system
        default: return nil
        }
    }
}

/// One changed field: its old and new value as text. Secrets are never recorded, only
/// that they changed (`AuditChange.redacted`).
public struct AuditChange: Sendable, Equatable, Codable {
    public let from: String?
    public let to: String?

    public init(from: String?, to: String?) {
        self.from = from
        self.to = to
    }

    public static let redacted = AuditChange(from: "[redacted]", to: "[redacted]")
}

/// Something to append to a tenant's audit log.
public struct AuditEvent: Sendable, Equatable {
    public var action: String
    public var actor: AuditActor
    public var targetType: String
    public var targetID: String
    public var changes: [String: AuditChange]
    public var ip: String
    public var userAgent: String

    public init(action: String, actor: AuditActor, targetType: String = "", targetID: String = "",
                changes: [String: AuditChange] = [:], ip: String = "", userAgent: String = "") {
        self.action = action
        self.actor = actor
        self.targetType = targetType
        self.targetID = targetID
        self.changes = changes
        self.ip = ip
        self.userAgent = String(userAgent.prefix(500))
    }
}

/// One recorded entry of the chain.
public struct AuditEntry: Sendable, Equatable {
    public let tenantID: UUID
    public let seq: Int64
    /// Microseconds since 1970 (UTC): exact in PostgreSQL and in the hash.
    public let occurredAtMicros: Int64
    public let actor: AuditActor
    public let ip: String
    public let userAgent: String
    public let action: String
    public let targetType: String
    public let targetID: String
    /// The canonical JSON of the changes, exactly as hashed.
    public let changes: String
    public let previousHash: [UInt8]
    public let hash: [UInt8]

    public var occurredAt: Date { Date(timeIntervalSince1970: Double(occurredAtMicros) / 1_000_000) }
}

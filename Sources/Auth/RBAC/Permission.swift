/// The fixed list of permissions. Roles are sets of these; every admin route and agent command
/// names the one it needs. The list is documented in `docs/permissions.md`.
public enum Permission: String, CaseIterable, Sendable, Codable, Comparable {
    case conversationsRead = "conversations.read"
    case conversationsReply = "conversations.reply"
    case conversationsAssign = "conversations.assign"
    case usersManage = "users.manage"
    case rolesManage = "roles.manage"
    case teamsManage = "teams.manage"
    case widgetsManage = "widgets.manage"
    case settingsManage = "settings.manage"
    case wordsManage = "words.manage"
    case llmManage = "llm.manage"
    case knowledgeManage = "knowledge.manage"
    case cannedManage = "canned.manage"
    case tokensManage = "tokens.manage"
    case auditRead = "audit.read"
    case reportsRead = "reports.read"

    public static func < (left: Permission, right: Permission) -> Bool { left.rawValue < right.rawValue }

    /// The permissions named in `names`; names this build does not know are dropped.
    public static func set(_ names: [String]) -> Set<Permission> {
        Set(names.compactMap(Permission.init(rawValue:)))
    }

    /// Permissions that make a role an administrator's (the tenant may require 2FA for them).
    public var isAdministrative: Bool {
        switch self {
        case .usersManage, .rolesManage, .settingsManage, .llmManage, .tokensManage, .widgetsManage: true
        default: false
        }
    }
}

/// The roles every tenant starts with. They cannot be edited or deleted.
public enum BuiltinRole: String, CaseIterable, Sendable, Codable {
    case owner, admin, supervisor, agent

    public var displayName: String {
        switch self {
        case .owner: "Owner"
        case .admin: "Admin"
        case .supervisor: "Supervisor"
        case .agent: "Agent"
        }
    }

    public var permissions: Set<Permission> {
        switch self {
        case .owner, .admin:
            Set(Permission.allCases)
        case .supervisor:
            [.conversationsRead, .conversationsReply, .conversationsAssign, .teamsManage, .cannedManage, .reportsRead, .auditRead]
        case .agent:
            [.conversationsRead, .conversationsReply]
        }
    }
}

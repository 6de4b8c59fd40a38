/// Why an administrative change was refused. Nothing is changed when one is thrown.
/// A field that breaks its rules is `InvalidFields` (Tenancy) instead, as in every module.
public enum AdministrationError: Error, Equatable, CustomStringConvertible {
    /// No such thing in the caller's tenant (another tenant's id looks exactly like this).
    case notFound(String)
    /// The change would hand out, or touch a role holding, permissions the caller lacks.
    case permissionEscalation(missing: [Permission])
    /// Only owners make, change or remove owners.
    case ownerRequired
    /// The tenant's last active owner cannot be removed, disabled or demoted.
    case lastOwner
    /// Built-in roles are fixed.
    case builtinRole
    /// A role still held by users cannot be deleted.
    case roleInUse(users: Int)
    /// The name is already used in the tenant.
    case nameTaken(String)
    /// The caller must enrol in two-factor authentication first.
    case enrolTwoFactorFirst
    /// The tenant requires two-factor authentication for this account.
    case twoFactorRequired
    /// Two-factor authentication is already on (or, for confirmation, no enrolment is pending).
    case twoFactorState(String)

    public var description: String {
        switch self {
        case .notFound(let what): "no such \(what) in this tenant"
        case .permissionEscalation(let missing):
            "you cannot grant or change permissions you do not have: \(missing.map(\.rawValue).sorted().joined(separator: ", "))"
        case .ownerRequired: "only an owner can make, change or remove an owner"
        case .lastOwner: "the tenant's last active owner cannot be removed, disabled or demoted"
        case .builtinRole: "built-in roles cannot be changed or deleted"
        case .roleInUse(let users): "the role is held by \(users) user(s); give them another role first"
        case .nameTaken(let name): "the name \"\(name)\" is already used in this tenant"
        case .enrolTwoFactorFirst: "enable two-factor authentication on your own account first"
        case .twoFactorRequired: "this tenant requires two-factor authentication for your role"
        case .twoFactorState(let detail): detail
        }
    }

    /// Throws `permissionEscalation` unless `caller` holds every permission in `wanted`.
    static func requireSubset(_ wanted: Set<Permission>, of caller: Principal) throws {
        let missing = wanted.subtracting(caller.permissions)
        if !missing.isEmpty { throw AdministrationError.permissionEscalation(missing: missing.sorted()) }
    }
}

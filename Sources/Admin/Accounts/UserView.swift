import Auth
import Foundation
import Hummingbird

/// A user as the API shows it: never the password hash or a second-factor secret.
struct UserView: ResponseEncodable, Codable, Sendable {
    let id: UUID
    let email: String
    let displayName: String
    let status: String
    let roleId: UUID
    let maxConcurrentChats: Int
    let teamIds: [UUID]
    let twoFactorEnabled: Bool
    let createdAt: Date

    init(_ user: User) {
        id = user.id
        email = user.email
        displayName = user.displayName
        status = user.status
        roleId = user.roleID
        maxConcurrentChats = user.maxConcurrentChats
        teamIds = user.teamIDs
        twoFactorEnabled = user.twoFactorEnabled
        createdAt = user.createdAt
    }

    static let schema: JSONValue = [
        "type": "object",
        "required": ["id", "email", "displayName", "status", "roleId", "maxConcurrentChats", "teamIds", "twoFactorEnabled", "createdAt"],
        "properties": [
            "id": ["type": "string", "format": "uuid"],
            "email": ["type": "string"],
            "displayName": ["type": "string"],
            "status": ["type": "string", "enum": ["active", "disabled"]],
            "roleId": ["type": "string", "format": "uuid"],
            "maxConcurrentChats": ["type": "integer"],
            "teamIds": ["type": "array", "items": ["type": "string", "format": "uuid"]],
            "twoFactorEnabled": ["type": "boolean"],
            "createdAt": ["type": "string", "format": "date-time"],
        ],
    ]
}

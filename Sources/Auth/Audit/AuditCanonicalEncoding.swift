import Crypto
import Foundation

/// The exact bytes an audit entry's hash covers, as written down in `docs/audit.md`:
/// compact JSON with a fixed key order, minimal string escaping, integers in decimal.
/// `hash = SHA-256(previous hash (32 bytes) || canonical bytes)`.
enum AuditCanonicalEncoding {
    static let version = 1

    static func bytes(
        tenantID: UUID, seq: Int64, occurredAtMicros: Int64, actor: AuditActor, ip: String, userAgent: String,
        action: String, targetType: String, targetID: String, changes: String
    ) -> [UInt8] {
        var text = "{\"v\":\(version)"
        text += ",\"tenantId\":" + quoted(tenantID.uuidString.lowercased())
        text += ",\"seq\":\(seq)"
        text += ",\"occurredAtMicros\":\(occurredAtMicros)"
        text += ",\"actor\":{\"type\":" + quoted(actor.type) + ",\"id\":" + (actor.id.map { quoted($0.uuidString.lowercased()) } ?? "null") + "}"
        text += ",\"ip\":" + quoted(ip)
        text += ",\"userAgent\":" + quoted(userAgent)
        text += ",\"action\":" + quoted(action)
        text += ",\"target\":{\"type\":" + quoted(targetType) + ",\"id\":" + quoted(targetID) + "}"
        text += ",\"changes\":" + changes
        text += "}"
        return Array(text.utf8)
    }

    static func hash(previous: [UInt8], canonical: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonical)
        return Array(hasher.finalize())
    }

    /// `{"field":{"from":...,"to":...},...}` with fields sorted by their UTF-8 bytes.
    static func changes(_ changes: [String: AuditChange]) -> String {
        let fields = changes.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let members = fields.map { field in
            let change = changes[field]!
            return quoted(field) + ":{\"from\":" + (change.from.map(quoted) ?? "null") + ",\"to\":" + (change.to.map(quoted) ?? "null") + "}"
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A JSON string: `"` and `\` escaped with a backslash, control characters as `\u00XX`,
    /// everything else as its UTF-8 bytes.
    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20:
                result += String(format: "\\u%04x", scalar.value)
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

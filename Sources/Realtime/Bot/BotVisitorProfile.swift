import Foundation
import PostgresNIO
import Tenancy

/// What the bot may tell its provider about the visitor: only the profile fields the widget
/// lists (`Widget.Bot.visitorFields`), each value cut to a sensible length.
enum BotVisitorProfile {
    static let maximumValueLength = 200

    /// `fields` of the visitor's profile that have a value, in the order listed.
    static func load(_ visitorID: UUID, fields: [String], in tx: TenantTransaction) async throws -> [(field: String, value: String)] {
        guard !fields.isEmpty else { return [] }
        for try await (name, email, phone, language, pageURL, attributes) in try await tx.query("""
            SELECT name, email, phone, language, page_url, attributes::text FROM visitors WHERE id = \(visitorID)
            """).decode((String, String, String, String, String, String).self) {
            let known = ["name": name, "email": email, "phone": phone, "language": language, "pageUrl": pageURL]
            let extra = (try? JSONSerialization.jsonObject(with: Data(attributes.utf8))) as? [String: Any] ?? [:]
            return fields.compactMap { field in
                let value: String?
                if field.hasPrefix("attributes.") {
                    value = extra[String(field.dropFirst("attributes.".count))].map(describe)
                } else {
                    value = known[field]
                }
                guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
                return (field.hasPrefix("attributes.") ? String(field.dropFirst("attributes.".count)) : field, String(value.prefix(maximumValueLength)))
            }
        }
        return []
    }

    /// The system prompt's paragraph about the visitor (empty without fields).
    static func paragraph(_ profile: [(field: String, value: String)]) -> String {
        guard !profile.isEmpty else { return "" }
        return "\n\nAbout the visitor, from the company's records (use it to help them; do not recite it):\n"
            + profile.map { "- \($0.field): \($0.value.replacingOccurrences(of: "\n", with: " "))" }.joined(separator: "\n")
    }

    private static func describe(_ value: Any) -> String {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        case is NSNull: ""
        default: (try? String(decoding: JSONSerialization.data(withJSONObject: value), as: UTF8.self)) ?? ""
        }
    }
}

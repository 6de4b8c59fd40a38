import Foundation
import Tenancy

/// The rules a widget's settings must meet; the first broken one is reported with its field.
enum WidgetValidation {
    static let maximumOrigins = 50
    static let maximumPreChatFields = 10

    static func validate(_ widget: Widget) throws {
        func fail(_ field: String, _ message: String) throws -> Never { throw InvalidFields(field: field, message: message) }
        if widget.name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || widget.name.count > 100 { try fail("name", "expected 1 to 100 characters") }
        if widget.allowedOrigins.isEmpty || widget.allowedOrigins.count > maximumOrigins {
            try fail("allowedOrigins", "expected 1 to \(maximumOrigins) origins (use \"*\" to allow any site)")
        }
        for origin in widget.allowedOrigins where !isOrigin(origin) {
            try fail("allowedOrigins", "\"\(origin.prefix(100))\" is not an origin like https://shop.example or http://localhost:3000")
        }
        if widget.greeting.count > 500 { try fail("greeting", "expected at most 500 characters") }
        if let hours = widget.businessHours {
            if TimeZone(identifier: hours.timeZone) == nil { try fail("businessHours.timeZone", "unknown time zone \"\(hours.timeZone.prefix(64))\"") }
            if hours.weekly.count > 50 { try fail("businessHours.weekly", "expected at most 50 intervals") }
            for (index, interval) in hours.weekly.enumerated() {
                let field = "businessHours.weekly[\(index)]"
                if !(1...7).contains(interval.day) { try fail(field + ".day", "expected 1 (Monday) to 7 (Sunday)") }
                guard let open = Widget.BusinessHours.minutes(interval.open), let close = Widget.BusinessHours.minutes(interval.close) else {
                    try fail(field, "expected open and close as HH:MM")
                }
                if open >= close { try fail(field, "open must be before close") }
            }
        }
        if widget.themeColor.count != 7 || !widget.themeColor.hasPrefix("#") || !widget.themeColor.dropFirst().allSatisfy(\.isHexDigit) {
            try fail("themeColor", "expected a colour like #1f6feb")
        }
        if widget.preChatFields.count > maximumPreChatFields { try fail("preChatFields", "expected at most \(maximumPreChatFields) fields") }
        var names = Set<String>()
        for (index, field) in widget.preChatFields.enumerated() {
            let path = "preChatFields[\(index)]"
            let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
            if field.name.isEmpty || field.name.count > 32 || !field.name.allSatisfy(allowed.contains) {
                try fail(path + ".name", "expected 1 to 32 of a-z, 0-9 and _")
            }
            if !names.insert(field.name).inserted { try fail(path + ".name", "\"\(field.name)\" appears twice") }
            if field.label.trimmingCharacters(in: .whitespaces).isEmpty || field.label.count > 100 { try fail(path + ".label", "expected 1 to 100 characters") }
        }
        if widget.bot.visitorFields.count > 20 { try fail("bot.visitorFields", "expected at most 20 fields") }
        for (index, field) in widget.bot.visitorFields.enumerated() {
            let key = field.hasPrefix("attributes.") ? String(field.dropFirst("attributes.".count)) : nil
            guard Widget.Bot.profileFields.contains(field) || (1...64).contains(key?.count ?? 0) else {
                try fail("bot.visitorFields[\(index)]", "expected name, email, phone, language, pageUrl or attributes.KEY")
            }
        }
    }

    /// Origins compare in lowercase without a trailing slash, as browsers send them.
    static func normalizedOrigin(_ text: String) -> String {
        var origin = text.trimmingCharacters(in: .whitespaces).lowercased()
        while origin.hasSuffix("/") { origin.removeLast() }
        return origin
    }

    static func isOrigin(_ text: String) -> Bool {
        if text == "*" { return true }
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty, components.path.isEmpty, components.query == nil, components.fragment == nil,
              components.user == nil
        else { return false }
        return true
    }
}

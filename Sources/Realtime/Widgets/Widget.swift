import Foundation

/// A chat widget: what a tenant's website embeds, and the rules its visitors chat under.
public struct Widget: Sendable, Equatable {
    public let id: UUID
    public var name: String
    /// `kfw_` + base64url(tenant id ‖ 16 random bytes): public, embedded in the site's page.
    public let publicKey: String
    /// Signs the site's user ids (HMAC-SHA256, hex) to prove a visitor's identity. Secret.
    public var identitySecret: String
    /// Origins (`https://shop.example`, `http://localhost:3000`) whose pages may open the
    /// visitor socket; `*` allows any.
    public var allowedOrigins: [String]
    public var greeting: String
    /// `nil`: always open.
    public var businessHours: BusinessHours?
    public var offlineBehavior: OfflineBehavior
    /// The team new conversations are routed to; `nil`: every agent.
    public var teamID: UUID?
    public var themeColor: String
    public var preChatFields: [PreChatField]
    public let createdAt: Date
    /// The side of the page the launcher sits on.
    public var position: Position = .right
    /// Whether new conversations start with the bot, and which provider answers.
    public var bot = Bot()

    /// Whether the bot takes a new conversation started at `date` (business hours permitting).
    public func botAnswers(at date: Date) -> Bool {
        bot.enabled && (bot.outsideHours == .answer || businessHours?.isOpen(at: date) ?? true)
    }

    /// The widget's bot: off unless enabled; its provider, or the tenant's default.
    public struct Bot: Sendable, Equatable {
        public enum OutsideHours: String, Sendable, Codable, CaseIterable {
            /// The bot answers at any hour.
            case answer
            /// Outside business hours the widget behaves as without a bot (its offline behaviour).
            case offline
        }

        public var enabled: Bool
        /// nil: the tenant's default provider.
        public var providerID: UUID?
        public var outsideHours: OutsideHours
        /// The visitor's profile fields the bot may tell its provider: `name`, `email`, `phone`,
        /// `language`, `pageUrl`, or `attributes.KEY`. None unless listed.
        public var visitorFields: [String]

        public init(enabled: Bool = false, providerID: UUID? = nil, outsideHours: OutsideHours = .answer, visitorFields: [String] = []) {
            self.enabled = enabled
            self.providerID = providerID
            self.outsideHours = outsideHours
            self.visitorFields = visitorFields
        }

        /// The fields `visitorFields` may name besides `attributes.KEY`.
        public static let profileFields: Set<String> = ["name", "email", "phone", "language", "pageUrl"]
    }

    public enum Position: String, Sendable, Codable, CaseIterable {
        case right, left
    }

    public enum OfflineBehavior: String, Sendable, Codable, CaseIterable {
        /// Outside business hours visitors may still write; agents answer later.
        case leaveMessage = "leave_message"
        /// Outside business hours the widget does not show.
        case hide
    }

    /// Weekly opening hours in a time zone.
    public struct BusinessHours: Sendable, Equatable, Codable {
        public struct Interval: Sendable, Equatable, Codable {
            /// ISO weekday: 1 = Monday … 7 = Sunday.
            public var day: Int
            /// `HH:MM`, 24-hour clock, `open` before `close`.
            public var open: String
            public var close: String
        }

        public var timeZone: String
        public var weekly: [Interval]

        /// Whether `date` falls inside the opening hours.
        public func isOpen(at date: Date) -> Bool {
            guard let zone = TimeZone(identifier: timeZone) else { return true }
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = zone
            let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
            // Calendar weekday: 1 = Sunday … 7 = Saturday.
            let isoDay = ((parts.weekday ?? 1) + 5) % 7 + 1
            let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
            return weekly.contains { interval in
                guard interval.day == isoDay, let open = Self.minutes(interval.open), let close = Self.minutes(interval.close) else { return false }
                return open <= minute && minute < close
            }
        }

        static func minutes(_ text: String) -> Int? {
            let parts = text.split(separator: ":")
            guard text.count == 5, parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
                  (0...24).contains(hour), (0...59).contains(minute), hour * 60 + minute <= 24 * 60
            else { return nil }
            return hour * 60 + minute
        }
    }

    /// A field the visitor fills in before the chat starts.
    public struct PreChatField: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable, CaseIterable { case text, email, phone }

        /// `name`, `email`, `phone`, or a custom attribute key (`[a-z0-9_]`, up to 32).
        public var name: String
        public var label: String
        public var type: Kind
        public var required: Bool
    }
}

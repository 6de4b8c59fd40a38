import Foundation
import PostgresNIO

/// What a keyset-paged list is ordered by, with `id` after it: `created_at` unless a list names
/// another timestamp expression. A `StaticString`, so only SQL written in the source can be one.
public struct KeysetKey: Sendable, Equatable {
    public let sql: String

    public init(_ sql: StaticString) {
        self.sql = sql.description
    }

    public static let createdAt = KeysetKey("created_at")
}

/// The keyset condition selecting the rows after a page's last row, for a table ordered by
/// `(key, id)`, `key` being `created_at` unless said otherwise. Spliced into a query by interpolation (`WHERE \(page.afterCondition)`), so
/// the cursor's values travel as bind parameters like every other value, never as SQL text.
public struct KeysetCondition: Sendable, Equatable {
    /// The last row of the previous page as `(created_at in microseconds since the epoch, id)`;
    /// `nil` for the first page, where the condition holds for every row.
    public let after: (createdAtMicros: Int64, id: UUID)?
    /// Newest first: the rows after the cursor are the older ones.
    public let descending: Bool
    public let key: KeysetKey

    public init(createdAtMicros: Int64, id: UUID, descending: Bool = false, key: KeysetKey = .createdAt) {
        after = (createdAtMicros, id)
        self.descending = descending
        self.key = key
    }

    public init(descending: Bool = false, key: KeysetKey = .createdAt) {
        after = nil
        self.descending = descending
        self.key = key
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.after?.createdAtMicros == rhs.after?.createdAtMicros && lhs.after?.id == rhs.after?.id && lhs.descending == rhs.descending
            && lhs.key == rhs.key
    }
}

extension PostgresQuery.StringInterpolation {
    /// Appends `condition` with its values bound: `true` on the first page, else
    /// `(created_at, id) > ($n, $m)`.
    public mutating func appendInterpolation(_ condition: KeysetCondition) {
        guard let after = condition.after else {
            appendLiteral("true")
            return
        }
        appendLiteral("(\(condition.key.sql), id) \(condition.descending ? "<" : ">") (timestamptz 'epoch' + ")
        appendInterpolation(after.createdAtMicros)
        appendLiteral(" * interval '1 microsecond', ")
        appendInterpolation(after.id)
        appendLiteral(")")
    }
}

import Foundation
import PostgresNIO

/// The keyset condition selecting the rows after a page's last row, for a table ordered by
/// `(created_at, id)`. Spliced into a query by interpolation (`WHERE \(page.afterCondition)`), so
/// the cursor's values travel as bind parameters like every other value, never as SQL text.
public struct KeysetCondition: Sendable, Equatable {
    /// The last row of the previous page as `(created_at in microseconds since the epoch, id)`;
    /// `nil` for the first page, where the condition holds for every row.
    public let after: (createdAtMicros: Int64, id: UUID)?
    /// Newest first: the rows after the cursor are the older ones.
    public let descending: Bool

    public init(createdAtMicros: Int64, id: UUID, descending: Bool = false) {
        after = (createdAtMicros, id)
        self.descending = descending
    }

    public init(descending: Bool = false) {
        after = nil
        self.descending = descending
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.after?.createdAtMicros == rhs.after?.createdAtMicros && lhs.after?.id == rhs.after?.id && lhs.descending == rhs.descending
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
        appendLiteral(condition.descending ? "(created_at, id) < (timestamptz 'epoch' + " : "(created_at, id) > (timestamptz 'epoch' + ")
        appendInterpolation(after.createdAtMicros)
        appendLiteral(" * interval '1 microsecond', ")
        appendInterpolation(after.id)
        appendLiteral(")")
    }
}

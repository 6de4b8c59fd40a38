import Foundation

/// A keyset pagination cursor over rows in creation order: the last row's `created_at` (in
/// microseconds, exact in PostgreSQL) and id. Clients treat it as opaque text.
public struct PageCursor: Sendable, Equatable {
    public let createdAtMicros: Int64
    public let id: UUID

    public init(createdAtMicros: Int64, id: UUID) {
        self.createdAtMicros = createdAtMicros
        self.id = id
    }

    public init?(text: String) {
        guard text.count < 100, let data = Data(base64URLEncoded: text), let decoded = String(data: data, encoding: .utf8) else { return nil }
        let parts = decoded.split(separator: "/")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        self.init(createdAtMicros: micros, id: id)
    }

    public var text: String { Data("\(createdAtMicros)/\(id.uuidString.lowercased())".utf8).base64URLEncoded() }
}

/// Which page of a list to read.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let maximumLimit = 200

    public var limit: Int
    public var after: PageCursor?
    /// Newest first, for lists that support it (`order=desc`).
    public var descending = false

    public init(limit: Int = PageRequest.defaultLimit, after: PageCursor? = nil) {
        self.limit = limit
        self.after = after
    }

    /// The keyset condition selecting rows after the cursor, for a table ordered by
    /// `(created_at, id)`: interpolate it into a `PostgresQuery`, which binds its values.
    public var afterCondition: KeysetCondition { afterCondition(orderedBy: .createdAt) }

    /// The same for a list ordered by `(key, id)`; the cursor's time is then `key`'s.
    public func afterCondition(orderedBy key: KeysetKey) -> KeysetCondition {
        guard let after else { return KeysetCondition(descending: descending, key: key) }
        return KeysetCondition(createdAtMicros: after.createdAtMicros, id: after.id, descending: descending, key: key)
    }
}

/// One page of a list and the cursor of the next, `nil` on the last page.
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let next: PageCursor?

    /// Builds a page from up to `limit + 1` rows: the extra row only tells that more exist.
    public init(rows: [(item: Item, cursor: PageCursor)], limit: Int) {
        items = rows.prefix(limit).map(\.item)
        next = rows.count > limit ? rows[limit - 1].cursor : nil
    }
}

import Synchronization
import Hummingbird

/// The registered routes as (path pattern, method) pairs, to answer "which methods does this
/// path take?" for 405 responses and to check the OpenAPI document against the router.
struct RouteTable: Sendable {
    struct Entry: Sendable, Equatable {
        /// Path components; `nil` stands for a capture (`{id}` or `:id`), `**` for a tail wildcard.
        let components: [String?]
        let method: HTTPRequest.Method
        /// The pattern as OpenAPI writes it: `/api/v1/users/{id}`.
        let openAPIPath: String
    }

    let entries: [Entry]

    init<Context>(router: Router<Context>) {
        entries = router.routes.map { route in
            let raw = route.path.description
            let parts = raw.split(separator: "/").map(String.init)
            let components: [String?] = parts.map { part in
                part.hasPrefix(":") || (part.hasPrefix("{") && part.hasSuffix("}")) ? nil : part
            }
            let openAPI = "/" + parts.map { part in
                if part.hasPrefix(":") { return "{\(part.dropFirst())}" }
                return part
            }.joined(separator: "/")
            return Entry(components: components, method: route.method, openAPIPath: openAPI)
        }
    }

    func methods(forPath path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/").map(String.init)
        return entries.filter { entry in
            if entry.components.last == "**" {
                return parts.count >= entry.components.count - 1 && matches(Array(entry.components.dropLast()), Array(parts.prefix(entry.components.count - 1)))
            }
            return entry.components.count == parts.count && matches(entry.components, parts)
        }.map(\.method)
    }

    private func matches(_ pattern: [String?], _ parts: [String]) -> Bool {
        zip(pattern, parts).allSatisfy { expected, actual in expected == nil || expected == "*" || expected == actual }
    }
}

/// The route table, filled in once every route is registered (middleware is added first).
final class RouteTableReference: Sendable {
    private let table = Mutex<RouteTable?>(nil)

    func set(_ value: RouteTable) { table.withLock { $0 = value } }
    func get() -> RouteTable? { table.withLock { $0 } }
}

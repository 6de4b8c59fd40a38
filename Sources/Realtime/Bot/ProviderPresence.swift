import Foundation
import Synchronization

/// Whether a tenant has a provider to answer a widget's visitors, as lately read: the visitor
/// `welcome` asks at every hello of a bot-first widget, and hellos are otherwise free of
/// database work, so a flood of connects must not become a flood of queries. An answer is kept
/// for `lifetime`; a provider added, changed or removed is forgotten at once on the node that
/// changed it and shows on the others that much later at most (a conversation's start always
/// reads it fresh).
public final class ProviderPresence: Sendable {
    struct Key: Hashable {
        let tenantID: UUID
        /// The widget's own provider, if it names one.
        let providerID: UUID?
    }

    static let lifetime = Duration.seconds(3)
    /// Beyond this many remembered answers the expired ones go, then all if none has expired.
    static let capacity = 10_000

    private let known = Mutex<[Key: (exists: Bool, until: ContinuousClock.Instant)]>([:])

    /// The remembered answer for `key`, or `read`'s (remembered). A failed read is not kept.
    func exists(_ key: Key, read: () async throws -> Bool) async throws -> Bool {
        let now = ContinuousClock.now
        if let entry = known.withLock({ $0[key] }), entry.until > now { return entry.exists }
        let exists = try await read()
        known.withLock { known in
            if known.count >= Self.capacity {
                known = known.filter { $0.value.until > now }
                if known.count >= Self.capacity { known.removeAll(keepingCapacity: true) }
            }
            known[key] = (exists, now + Self.lifetime)
        }
        return exists
    }

    /// The tenant's providers changed: read them again at the next welcome.
    public func forget(tenantID: UUID) {
        known.withLock { known in known = known.filter { $0.key.tenantID != tenantID } }
    }
}

import Foundation
import Logging
import NIOPosix
import Synchronization
import Tenancy

/// Each tenant's compiled sensitive-word matcher, as the message path uses it: built on first
/// use, and again whenever the tenant's rules change (this node's store says so, other nodes'
/// changes arrive by NOTIFY). Builds run off the event loop, and the matcher in use keeps serving
/// until its replacement is ready. Bounded: beyond `capacity` tenants or `capacityBytes` of
/// automata, the least recently used are dropped and built again when next needed.
public final class WordMatchers: Sendable {
    /// What the matchers did to messages since start, for `/metrics`.
    public struct Totals: Sendable, Equatable {
        public struct Key: Sendable, Hashable {
            public let action: WordAction
            public let sender: WordSender
        }

        /// Messages per action (`block`: refused) and sender.
        public var messages: [Key: Int] = [:]

        public init() {}
    }

    private struct Entry {
        /// The matcher in use; nil while none was built yet, or when the tenant has no enabled rule.
        var matcher: WordMatcher?
        /// Which change the matcher in use reflects (nil: none built yet).
        var built: UInt64?
        /// Bumped by every change of the tenant's rules.
        var changes: UInt64 = 0
        var building = false
        var lastUsed: UInt64 = 0
        /// Callers waiting for a matcher that reflects at least `change`.
        var waiting: [(change: UInt64, continuation: CheckedContinuation<WordMatcher?, any Error>)] = []

        var bytes: Int { matcher?.size.bytes ?? 0 }
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        var uses: UInt64 = 0
        var totals = Totals()
    }

    let database: Database
    let normalizer: WordNormalizer
    let capacity: Int
    let capacityBytes: Int
    let logger: Logger
    private let state = Mutex(State())

    public init(database: Database, normalizer: WordNormalizer = .standard, capacity: Int = 1_000,
                capacityBytes: Int = 256 << 20, logger: Logger) {
        self.database = database
        self.normalizer = normalizer
        self.capacity = capacity
        self.capacityBytes = capacityBytes
        self.logger = logger
    }

    public var totals: Totals { state.withLock { $0.totals } }

    /// How many tenants have a matcher here, and the bytes their automata take.
    public var footprint: (tenants: Int, bytes: Int) {
        state.withLock { state in (state.entries.count, state.entries.values.reduce(0) { $0 + $1.bytes }) }
    }

    /// The tenant's matcher (nil: the tenant has no enabled rule). One lock when it is built; the
    /// first caller for a tenant waits for the build, and callers meanwhile share it.
    public func matcher(for tenantID: UUID) async throws -> WordMatcher? {
        // Outer optional: whether a matcher is built; inner: whether the tenant has rules.
        let built: WordMatcher?? = state.withLock { state in
            state.uses += 1
            guard state.entries[tenantID]?.built != nil else { return .none }
            state.entries[tenantID]?.lastUsed = state.uses
            return .some(state.entries[tenantID]?.matcher)
        }
        if let built { return built }
        return try await waitForBuild(tenantID, afterChange: false)
    }

    /// The tenant's rules changed: returns once this node's matcher reflects the change (at once
    /// when the tenant has none here; it is built from the new rules when next needed), or once a
    /// rebuild failed (the matcher in use keeps serving and the rebuild is retried).
    public func rulesChanged(tenantID: UUID) async {
        _ = try? await waitForBuild(tenantID, afterChange: true)
    }

    /// After the listener missed notifications: every tenant here is rebuilt from its rules, a
    /// few at a time (each rebuild holds a database connection and a core for a while).
    public func allRulesMayHaveChanged(concurrently width: Int = 2) async {
        let tenants = state.withLock { Array($0.entries.keys) }
        await withTaskGroup(of: Void.self) { group in
            for (index, tenantID) in tenants.enumerated() {
                if index >= width { await group.next() }
                group.addTask { await self.rulesChanged(tenantID: tenantID) }
            }
        }
    }

    /// Counts what a rule did to a message.
    func count(_ action: WordAction, sender: WordSender) {
        state.withLock { $0.totals.messages[Totals.Key(action: action, sender: sender), default: 0] += 1 }
    }

    /// Waits for a matcher of the tenant: any (first use), or after a change one built from rules
    /// read after it. The change is counted and the waiter registered under one lock, so no build
    /// can finish in between unnoticed.
    private func waitForBuild(_ tenantID: UUID, afterChange: Bool) async throws -> WordMatcher? {
        try await withCheckedThrowingContinuation { continuation in
            let start: Bool = state.withLock { state in
                state.uses += 1
                guard var entry = state.entries[tenantID] ?? (afterChange ? nil : Entry()) else {
                    continuation.resume(returning: nil)
                    return false
                }
                entry.lastUsed = state.uses
                if afterChange { entry.changes += 1 }
                let change = afterChange ? entry.changes : 0
                if let built = entry.built, built >= change {
                    continuation.resume(returning: entry.matcher)
                    state.entries[tenantID] = entry
                    return false
                }
                entry.waiting.append((change, continuation))
                let start = !entry.building
                entry.building = true
                state.entries[tenantID] = entry
                return start
            }
            if start { Task { await self.build(tenantID) } }
        }
    }

    /// Builds until the matcher reflects the latest change. A failed first build fails its
    /// waiters; a failed rebuild answers them with the matcher in use (which keeps serving) and
    /// is retried every second while the tenant is cached.
    private func build(_ tenantID: UUID) async {
        while true {
            guard let change = state.withLock({ $0.entries[tenantID]?.changes }) else { return }
            do {
                let rules = try await WordRuleStore.enabledRules(tenantID: tenantID, in: database)
                let normalizer = self.normalizer
                // On NIO's blocking pool: 100,000 rules take most of a second of one core, which
                // must not hold a thread of the cooperative pool (or an event loop).
                let matcher = rules.isEmpty ? nil : try await NIOThreadPool.singleton.runIfActive { WordMatcher(rules: rules, normalizer: normalizer) }
                let again: Bool = state.withLock { state in
                    guard var entry = state.entries[tenantID] else { return false }
                    entry.matcher = matcher
                    entry.built = change
                    let (ready, waiting) = entry.waiting.partitioned { $0.change <= change }
                    entry.waiting = waiting
                    for waiter in ready { waiter.continuation.resume(returning: matcher) }
                    entry.building = entry.changes > change
                    state.entries[tenantID] = entry
                    Self.evict(&state, keeping: tenantID, capacity: capacity, capacityBytes: capacityBytes)
                    return entry.building
                }
                if !again { return }
            } catch {
                logger.warning("sensitive-word rules could not be loaded", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
                let retry: Bool = state.withLock { state in
                    guard var entry = state.entries[tenantID] else { return false }
                    let waiting = entry.waiting
                    entry.waiting = []
                    if entry.built == nil {
                        state.entries[tenantID] = nil
                        for waiter in waiting { waiter.continuation.resume(throwing: RealtimeError.unavailable) }
                        return false
                    }
                    for waiter in waiting { waiter.continuation.resume(returning: entry.matcher) }
                    state.entries[tenantID] = entry
                    return true
                }
                if !retry { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Drops the least recently used idle tenants until both bounds hold.
    private static func evict(_ state: inout State, keeping kept: UUID, capacity: Int, capacityBytes: Int) {
        var bytes = state.entries.values.reduce(0) { $0 + $1.bytes }
        guard state.entries.count > capacity || bytes > capacityBytes else { return }
        let idle = state.entries.filter { $0.key != kept && !$0.value.building && $0.value.waiting.isEmpty }
            .sorted { $0.value.lastUsed < $1.value.lastUsed }
        for (tenantID, entry) in idle {
            guard state.entries.count > capacity || bytes > capacityBytes else { return }
            state.entries[tenantID] = nil
            bytes -= entry.bytes
        }
    }
}

extension Array {
    /// The elements that satisfy `belongs`, and the rest, each in their order.
    func partitioned(by belongs: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = []
        var rest: [Element] = []
        for element in self {
            if belongs(element) { matching.append(element) } else { rest.append(element) }
        }
        return (matching, rest)
    }
}

import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Tenancy

/// The group-commit writer: every connection's sends are appended in batches, many messages per
/// round trip (`kefu_append_messages`), so throughput is set by round trips rather than by one
/// fsync per message. A sender hears back only after its batch has committed.
///
/// Sends are spread over a few shards by conversation; each shard commits one batch at a time,
/// so a conversation's messages are numbered in the order they were submitted. A batch takes
/// whatever queued up while the previous one committed (bounded by `maximumBatch`): no timer,
/// so a lone message is written at once.
///
/// Bounded in time as well as in memory: a shard admits a send only while the oldest send it
/// holds has waited less than `maximumQueueDelay` (otherwise `overloaded`, with a hint when to
/// resend), and every round trip has a deadline, after which its senders hear `unavailable` and
/// the shard carries on with a fresh connection. Nobody waits forever for an answer.
public final class MessageWriter: Service, Sendable {
    public struct Limits: Sendable {
        /// Messages one round trip takes at most: 128 keeps a round trip near its fixed part
        /// under load (about 30 ms on two busy cores), where 500 made it 250 ms and everything
        /// admitted behind it waited twice that.
        public var maximumBatch: Int
        public var shards: Int
        /// Sends one shard may hold: a memory bound, far above what `maximumQueueDelay` admits.
        public var maximumQueued: Int
        /// A shard refuses new sends (`overloaded`) while a send arriving now would wait longer
        /// than this for its commit (the rest of the batch in flight and the round trip of its
        /// own, at the cost measured on recent batches, `BatchCost`), or its oldest waiting send
        /// has waited longer: admission by delay, so what is accepted is answered quickly even at
        /// twice the sustainable rate, instead of waiting behind seconds of queue.
        public var maximumQueueDelay: Duration
        /// Longest a batch's round trip may take before its connection is closed and its senders
        /// hear `unavailable`.
        public var roundTripDeadline: Duration
        /// A shard with work that has committed nothing for this long makes the node unready.
        public var stallAfter: Duration

        /// Four shards: a batch spends most of its round trip waiting (three statements, the WAL
        /// flush, the hand-offs between threads), and four in flight overlap that waiting. Measured
        /// on 2 cores at 5,000 msg/s: p99 about 30 ms with four, 40–90 ms with two, 140–300 ms
        /// with one; eight crowd PostgreSQL and round trips triple.
        public init(maximumBatch: Int = 128, shards: Int = 4, maximumQueued: Int = 20_000,
                    maximumQueueDelay: Duration = .milliseconds(100), roundTripDeadline: Duration = .seconds(5),
                    stallAfter: Duration = .seconds(5)) {
            self.maximumBatch = maximumBatch
            self.shards = shards
            self.maximumQueued = maximumQueued
            self.maximumQueueDelay = maximumQueueDelay
            self.roundTripDeadline = roundTripDeadline
            self.stallAfter = stallAfter
        }
    }

    public typealias Completion = @Sendable (Result<AppendResult, any Error>) -> Void

    /// Since start: batches, messages stored by them, and time spent in their round trips
    /// (for /metrics: messages per batch shows how well the group commit groups).
    public struct Totals: Sendable, Equatable {
        public var batches = 0
        public var messages = 0
        public var committing = Duration.zero

        public init() {}
    }

    /// One shard as `/metrics` and `/readyz` see it.
    public struct ShardReport: Sendable {
        /// Sends waiting for a batch (not counting the batch in flight).
        public let queueDepth: Int
        /// When the shard last committed a batch (nil: not yet).
        public let lastBatchAt: Date?
        /// The shard has work and has committed nothing for `stallAfter`.
        public let stalled: Bool
    }

    let database: Database
    let nodeID: String
    public let limits: Limits
    let logger: Logger
    private let shards: [Shard]
    private let committed: @Sendable ([Message]) -> Void
    private let counted = Mutex(Totals())
    /// How far behind the node's threads are: a send arriving while they are is refused too.
    public let load: LoopLagGauge?

    public var totals: Totals { counted.withLock { $0 } }

    /// - Parameter committed: called with every batch's new messages once committed (fan-out).
    public init(database: Database, nodeID: String, limits: Limits = Limits(), load: LoopLagGauge? = nil, logger: Logger,
                committed: @escaping @Sendable ([Message]) -> Void) {
        self.load = load
        self.database = database
        self.nodeID = nodeID
        self.limits = limits
        self.logger = logger
        self.committed = committed
        self.shards = (0..<max(1, limits.shards)).map { _ in Shard() }
    }

    /// Appends `message` and returns once it is committed.
    public func append(_ message: NewMessage) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            submit(message) { continuation.resume(with: $0) }
        }
    }

    /// Queues `message`; `completion` runs once its batch has committed (or failed, or the
    /// message was refused: `overloaded`, `shuttingDown`).
    public func submit(_ message: NewMessage, completion: @escaping Completion) {
        let shard = shard(for: message.conversationID)
        if let refusal = shard.enqueue(Pending(message: message, completion: completion), limits: limits) {
            completion(.failure(refusal))
        }
    }

    /// What a send to `conversationID` arriving from a socket would be told now if its shard is
    /// behind or the node's threads are (`overloaded`), or it is stopping (`shuttingDown`); nil
    /// when it would be queued. Lets a socket refuse such a send as it arrives, before it costs
    /// a task and a parse: under overload the refusals are most of the traffic, and what is
    /// accepted must not wait behind them.
    public func refusal(forConversation conversationID: UUID) -> RealtimeError? {
        shard(for: conversationID).refusal(at: .now, limits: limits) ?? load?.refusal()
    }

    private func shard(for conversationID: UUID) -> Shard {
        shards[abs(conversationID.hashValue % shards.count)]
    }

    /// Every shard's state, for `/metrics`.
    public func shardReports() -> [ShardReport] {
        let now = ContinuousClock.now
        return shards.map { $0.report(now: now, stallAfter: limits.stallAfter) }
    }

    /// Whether some shard has work it has not committed for `stallAfter` (the node is unready).
    public var isStalled: Bool { shardReports().contains(where: \.stalled) }

    /// Whether some shard's queue, or the node's threads, are half way to refusing sends:
    /// ephemeral relays (typing, read receipts) are shed first, so messages keep the room.
    public var isUnderPressure: Bool {
        let now = ContinuousClock.now
        return shards.contains { $0.waitOfOldest(now: now) > limits.maximumQueueDelay / 2 } || load?.isPressed == true
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for shard in shards {
                    group.addTask { await self.drain(shard) }
                }
            }
        } onGracefulShutdown: {
            // The server has stopped taking frames by now: write what is queued, then stop.
            for shard in self.shards { shard.finish() }
        }
    }

    private func drain(_ shard: Shard) async {
        for await _ in shard.signals {
            while true {
                let batch = shard.take(limits.maximumBatch)
                if batch.isEmpty { break }
                await commit(batch, shard: shard)
            }
        }
        let rest = shard.take(Int.max)
        if !rest.isEmpty { await commit(rest, shard: shard) }
    }

    /// Commits `batch`; a retry of a client id already in the batch rides on the first one.
    /// Every sender hears back, whatever happens to the round trip.
    func commit(_ batch: [Pending], shard: Shard? = nil) async {
        var firsts: [Pending] = []
        var riders: [Int: [Pending]] = [:]
        var firstIndex: [String: Int] = [:]
        for pending in batch {
            if let key = pending.message.clientKey.map({ "\(pending.message.conversationID)|\($0)" }) {
                if let index = firstIndex[key] {
                    riders[index, default: []].append(pending)
                    continue
                }
                firstIndex[key] = firsts.count
            }
            firsts.append(pending)
        }
        let started = ContinuousClock.now
        let outcomes = await appendAnswering(firsts.map(\.message))
        let elapsed = ContinuousClock.now - started
        let stored = outcomes.count { if case .success = $0 { true } else { false } }
        if stored > 0 || !outcomes.contains(where: { Self.isUnavailable($0) }) { shard?.committedBatch() }
        shard?.answered(count: stored, elapsed: elapsed)
        counted.withLock { totals in
            totals.batches += 1
            totals.messages += stored
            totals.committing += elapsed
        }
        var committed: [Message] = []
        for (index, pending) in firsts.enumerated() {
            let outcome = outcomes[index]
            pending.completion(outcome)
            if case .success(let result) = outcome {
                // Duplicates too: after a retried batch a stored message may not have reached this
                // node's followers yet; sockets skip whatever they already have.
                committed.append(result.message)
                for rider in riders[index] ?? [] {
                    rider.completion(.success(AppendResult(message: result.message, duplicate: true, conversationStatus: result.conversationStatus)))
                }
            } else {
                for rider in riders[index] ?? [] { rider.completion(outcome) }
            }
        }
        if !committed.isEmpty { self.committed(committed) }
    }

    /// The batch's outcomes, one per message, never throwing: a connection that dies is tried
    /// once more on a fresh one (after a PostgreSQL restart the pool's idle connections are all
    /// dead), then its senders hear `unavailable`; a row PostgreSQL rejects fails alone.
    private func appendAnswering(_ messages: [NewMessage]) async -> [Result<AppendResult, any Error>] {
        let started = ContinuousClock.now
        do {
            return try await append(messages)
        } catch where Self.isTransient(error) {
            logger.warning("message batch failed to reach the database", metadata: ["error": "\(DatabaseError.describe(error))", "messages": "\(messages.count)"])
            if ContinuousClock.now - started < limits.roundTripDeadline / 2, !Task.isCancelled,
               let outcomes = try? await append(messages) {
                return outcomes
            }
            return Array(repeating: .failure(RealtimeError.unavailable), count: messages.count)
        } catch where messages.count > 1 {
            // One bad row must not fail its neighbours: write them one by one.
            logger.warning("batch append failed; retrying its messages one by one", metadata: ["error": "\(String(reflecting: error))"])
            var single: [Result<AppendResult, any Error>] = []
            for message in messages {
                do {
                    single.append(try await append([message])[0])
                } catch where Self.isTransient(error) {
                    // The database went away meanwhile: the rest hear so now, not one deadline each.
                    single += Array(repeating: .failure(RealtimeError.unavailable), count: messages.count - single.count)
                    break
                } catch {
                    single.append(.failure(Self.answer(for: error)))
                }
            }
            return single
        } catch {
            return [.failure(Self.answer(for: error))]
        }
    }

    /// One round trip: the messages appended (or found as duplicates), in submission order.
    private func append(_ messages: [NewMessage]) async throws -> [Result<AppendResult, any Error>] {
        let tenants = messages.map(\.tenantID)
        let conversations = messages.map(\.conversationID)
        let keys = messages.map { $0.clientKey ?? "" }
        let senderTypes = messages.map(\.senderType.rawValue)
        let senders = messages.map { $0.senderID?.lowercased ?? "" }
        let kinds = messages.map(\.kind.rawValue)
        let bodies = messages.map(\.body)
        let attachments = messages.map { $0.attachmentID?.lowercased ?? "" }
        let nodeID = self.nodeID
        // An explicit transaction: the senders hear back only once COMMIT has returned, so a
        // failure at commit time can never follow an ack.
        return try await database.withAppendTransaction(deadline: limits.roundTripDeadline) { batch in
            var outcomes = [Result<AppendResult, any Error>](repeating: .failure(RealtimeError.conversationNotFound), count: messages.count)
            let rows = try await batch.query("""
                SELECT ordinal, message_id, message_seq, message_created_at, duplicate, conversation_status
                FROM kefu_append_messages(\(tenants), \(conversations), \(keys), \(senderTypes), \(senders),
                                          \(kinds), \(bodies), \(attachments), \(nodeID))
                """)
            for try await (ordinal, id, seq, createdAt, duplicate, status) in rows.decode((Int32, UUID, Int64, Date, Bool, String).self) {
                let index = Int(ordinal) - 1
                guard messages.indices.contains(index) else { continue }
                outcomes[index] = .success(AppendResult(
                    message: messages[index].committed(id: id, seq: seq, at: createdAt), duplicate: duplicate,
                    conversationStatus: Conversation.Status(rawValue: status)))
            }
            try await Self.recordFlags(of: messages, outcomes: outcomes, in: batch)
            return outcomes
        }
    }

    /// Review entries for the batch's newly stored flagged messages, in the batch's transaction:
    /// a flagged message is never stored without its entry. No round trip when none is flagged.
    private static func recordFlags(of messages: [NewMessage], outcomes: [Result<AppendResult, any Error>], in batch: AppendTransaction) async throws {
        let flagged: [(flag: WordFlag, message: Message)] = zip(messages, outcomes).compactMap { message, outcome in
            guard let flag = message.flag, case .success(let appended) = outcome, !appended.duplicate else { return nil }
            return (flag, appended.message)
        }
        guard !flagged.isEmpty else { return }
        let tenants = flagged.map(\.message.tenantID)
        let conversations = flagged.map(\.message.conversationID)
        let seqs = flagged.map(\.message.seq)
        let ids = flagged.map(\.message.id)
        let senderTypes = flagged.map(\.message.senderType.rawValue)
        let senders = flagged.map { $0.message.senderID?.lowercased ?? "" }
        let rules = flagged.map { $0.flag.ruleIDs.map(\.lowercased).joined(separator: " ") }
        let categories = flagged.map { $0.flag.categories.joined(separator: "\n") }
        _ = try await batch.query("""
            SELECT kefu_record_word_flags(\(tenants), \(conversations), \(seqs), \(ids), \(senderTypes), \(senders), \(rules), \(categories))
            """)
    }

    /// Whether `error` says the database was out of reach (resending may succeed) rather than
    /// that it rejected these rows.
    static func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return true }
        // Connection exceptions, operator intervention (shutdown), resources, transaction
        // rollbacks (deadlock, serialization), system errors.
        let transientClasses: Set<Substring> = ["08", "57", "53", "40", "58"]
        return transientClasses.contains(error.serverInfo?[.sqlState]?.prefix(2) ?? "08")
    }

    static func answer(for error: any Error) -> RealtimeError {
        if let error = error as? RealtimeError { return error }
        return isTransient(error) ? .unavailable : .conflict("The message could not be stored.")
    }

    private static func isUnavailable(_ outcome: Result<AppendResult, any Error>) -> Bool {
        if case .failure(let error) = outcome, (error as? RealtimeError) == .unavailable { return true }
        return false
    }
}

/// A send waiting for its batch.
struct Pending: Sendable {
    let message: NewMessage
    let completion: MessageWriter.Completion
    let queuedAt = ContinuousClock.now
}

/// One shard's queue, the signal that wakes its drain loop, and what it knows of its progress.
final class Shard: Sendable {
    private struct State {
        var queue: [Pending] = []
        var finished = false
        /// The batch in flight: its size, when its round trip began, and when its oldest send
        /// was queued (nil: none in flight).
        var inFlight: (count: Int, started: ContinuousClock.Instant, oldest: ContinuousClock.Instant)?
        /// What a round trip costs by batch size, from recent batches.
        var cost = BatchCost()
        var lastCommit: ContinuousClock.Instant?
        var lastCommitDate: Date?
    }

    private let state = Mutex(State())
    let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init() {
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `pending`, or says why not.
    func enqueue(_ pending: Pending, limits: MessageWriter.Limits) -> RealtimeError? {
        let refusal: RealtimeError? = state.withLock { state in
            if let refusal = Self.refusal(in: state, at: pending.queuedAt, limits: limits) { return refusal }
            state.queue.append(pending)
            return nil
        }
        if refusal == nil { signal.yield() }
        return refusal
    }

    /// What a send arriving at `now` would be told, or nil when it would be queued.
    func refusal(at now: ContinuousClock.Instant, limits: MessageWriter.Limits) -> RealtimeError? {
        state.withLock { Self.refusal(in: $0, at: now, limits: limits) }
    }

    private static func refusal(in state: State, at now: ContinuousClock.Instant, limits: MessageWriter.Limits) -> RealtimeError? {
        if state.finished { return .shuttingDown }
        // An idle shard takes a send whatever it measured: that is how it measures again.
        guard !state.queue.isEmpty || state.inFlight != nil else { return nil }
        let waited = state.queue.first.map { now - $0.queuedAt } ?? .zero
        // The wait a send arriving now is in for: the rest of the batch in flight, then the
        // round trip of the batch it joins (the queue and itself), at the measured cost.
        // Admission by this, not only by how long the oldest has waited: at twice the
        // sustainable rate the batch in flight is the larger part, and the oldest's wait says
        // nothing of it.
        var expected = Duration.zero
        if let own = state.cost.estimate(size: state.queue.count + 1) {
            expected = own
            if let inFlight = state.inFlight, let whole = state.cost.estimate(size: inFlight.count) {
                expected += max(.zero, whole - (now - inFlight.started))
            }
        }
        let behind = max(waited, expected)
        guard behind > limits.maximumQueueDelay || state.queue.count >= limits.maximumQueued else { return nil }
        // About as long as the shard is behind (by then it has room again), but back within a
        // second: a stalled shard may recover any moment.
        return .overloaded(retryAfterMilliseconds: min(1_000, max(100, behind.wholeMilliseconds)))
    }


    func take(_ count: Int) -> [Pending] {
        state.withLock { state in
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(batch.count)
            state.inFlight = batch.first.map { (batch.count, .now, $0.queuedAt) }
            return batch
        }
    }

    func committedBatch() {
        state.withLock { state in
            state.lastCommit = .now
            state.lastCommitDate = Date()
        }
    }

    /// The batch in flight is answered: `count` messages stored in one round trip of `elapsed`.
    func answered(count: Int, elapsed: Duration) {
        state.withLock { state in
            state.inFlight = nil
            state.cost.record(size: count, elapsed: elapsed)
        }
    }

    /// How long the oldest send not yet answered has waited.
    func waitOfOldest(now: ContinuousClock.Instant) -> Duration {
        state.withLock { state in
            guard let oldest = state.inFlight?.oldest ?? state.queue.first?.queuedAt else { return .zero }
            return now - oldest
        }
    }

    func report(now: ContinuousClock.Instant, stallAfter: Duration) -> MessageWriter.ShardReport {
        state.withLock { state in
            let oldest = [state.inFlight?.oldest, state.queue.first?.queuedAt].compactMap { $0 }.min()
            let waiting = oldest.map { now - $0 > stallAfter } ?? false
            let quiet = state.lastCommit.map { now - $0 > stallAfter } ?? true
            return MessageWriter.ShardReport(queueDepth: state.queue.count, lastBatchAt: state.lastCommitDate, stalled: waiting && quiet)
        }
    }

    func finish() {
        state.withLock { $0.finished = true }
        signal.finish()
    }
}

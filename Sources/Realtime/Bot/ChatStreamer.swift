import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Why a provider gave no (complete) answer.
public enum BotFailure: Error, Sendable, Equatable {
    /// No first token within the first-token timeout, or no end within the total timeout.
    case timeout
    /// An HTTP error, a malformed or broken stream, an error event, or no connection.
    case provider(String)
    /// The provider failed too often lately; it is left alone for a while.
    case breakerOpen
    /// The provider's concurrency or per-minute limit is reached.
    case busy

    /// What went wrong, for an administrator (never holding the key).
    public var explanation: String {
        switch self {
        case .timeout: "no answer within the provider's timeouts"
        case .provider(let message): message
        case .breakerOpen: "the provider failed repeatedly; it is left alone for 30 seconds"
        case .busy: "the provider's concurrency or per-minute limit is reached"
        }
    }

    /// The handoff reason it gives.
    var handoffReason: String {
        switch self {
        case .timeout: "timeout"
        case .provider, .busy: "provider-error"
        case .breakerOpen: "breaker-open"
        }
    }
}

/// Streams answers from LLM providers over HTTP (async-http-client, server-sent events read as
/// the standard says, `ServerSentEvents`), each request bounded by the provider's timeouts. Failures before the
/// first token are retried with backoff (a 429's `Retry-After` honoured); after it, never — a
/// visitor has seen part of that answer. Each provider has a circuit breaker and its own
/// concurrency and per-minute limits. Its HTTP clients are its own: an LLM outage never holds a
/// connection or a thread that human conversations need.
public final class ChatStreamer: Service, Sendable {
    /// Consecutive failed requests that open a provider's breaker, and for how long.
    static let breakerThreshold = 5
    static let breakerOpenFor: Duration = .seconds(30)
    static let retries = 2
    /// Longest answer taken (some providers ignore `max_tokens`).
    static let maximumAnswerBytes = 64 << 10

    private struct ProviderState {
        var consecutiveFailures = 0
        var openUntil: ContinuousClock.Instant?
        var inFlight = 0
        var minute = ContinuousClock.now
        var requestsThisMinute = 0
    }

    /// The clients by connect timeout; nil once stopping (no new request starts then).
    private let clients = Mutex<[Int: HTTPClient]?>([:])
    private let states = Mutex<[UUID: ProviderState]>([:])
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        let all: [HTTPClient] = clients.withLock { clients in
            defer { clients = nil }
            return clients.map { Array($0.values) } ?? []
        }
        for client in all { try? await client.shutdown() }
    }

    /// Streams `provider`'s answer to `turns`, calling `onDelta` with each piece as it arrives;
    /// an error `onDelta` throws ends the stream and is rethrown as it is.
    /// - Returns: the whole answer.
    /// - Throws: `BotFailure`, or what `onDelta` threw.
    public func stream(_ provider: BotProvider, turns: [ChatTurn], user: String,
                       onDelta: @escaping @Sendable (String) async throws -> Void) async throws -> String {
        try admit(provider)
        defer { states.withLock { $0[provider.id, default: ProviderState()].inFlight -= 1 } }
        let deadline = ContinuousClock.now + provider.totalTimeout
        let started = FirstToken()
        var attempt = 0
        while true {
            do {
                let answer = try await self.attempt(provider, turns: turns, user: user, deadline: deadline, started: started, onDelta: onDelta)
                states.withLock { $0[provider.id]?.consecutiveFailures = 0 }
                return answer
            } catch where Task.isCancelled {
                // Stopped (a person took over): not the provider's failure.
                throw CancellationError()
            } catch let failure as Retryable where !started.seen && attempt < Self.retries {
                attempt += 1
                let wait = failure.retryAfter ?? .milliseconds(250 * (1 << attempt))
                guard ContinuousClock.now + wait < deadline else {
                    recordFailure(provider)
                    throw failure.failure
                }
                logger.info("LLM request failed; retrying", metadata: ["provider": "\(provider.id)", "error": "\(failure.failure)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: wait)
            } catch let failure as Retryable {
                recordFailure(provider)
                throw failure.failure
            } catch let failure as BotFailure {
                recordFailure(provider)
                throw failure
            } catch let refused as DeltaRefused {
                throw refused.error
            } catch {
                recordFailure(provider)
                throw BotFailure.provider(Self.describe(error))
            }
        }
    }

    /// What `onDelta` threw, carried out of the stream untouched.
    private struct DeltaRefused: Error {
        let error: any Error
    }

    /// A failure that another attempt might not meet, with how long to wait first if the
    /// provider said (`Retry-After`).
    private struct Retryable: Error {
        let failure: BotFailure
        var retryAfter: Duration?
    }

    /// Counts the request against the provider's breaker and limits, or refuses it.
    private func admit(_ provider: BotProvider) throws {
        try states.withLock { states in
            var state = states[provider.id] ?? ProviderState()
            let now = ContinuousClock.now
            if let openUntil = state.openUntil, now < openUntil { throw BotFailure.breakerOpen }
            if now - state.minute >= .seconds(60) {
                state.minute = now
                state.requestsThisMinute = 0
            }
            guard state.inFlight < provider.maxConcurrent, state.requestsThisMinute < provider.requestsPerMinute else { throw BotFailure.busy }
            state.inFlight += 1
            state.requestsThisMinute += 1
            states[provider.id] = state
        }
    }

    private func recordFailure(_ provider: BotProvider) {
        states.withLock { states in
            var state = states[provider.id] ?? ProviderState()
            state.consecutiveFailures += 1
            if state.consecutiveFailures >= Self.breakerThreshold {
                state.openUntil = .now + Self.breakerOpenFor
                state.consecutiveFailures = 0
            }
            states[provider.id] = state
        }
    }

    /// One request, raced against the first-token and total timeouts.
    private func attempt(_ provider: BotProvider, turns: [ChatTurn], user: String, deadline: ContinuousClock.Instant,
                         started: FirstToken, onDelta: @escaping @Sendable (String) async throws -> Void) async throws -> String {
        let request = try ProviderWire.request(for: provider, turns: turns, user: user)
        guard let client = client(connectTimeout: provider.connectTimeout) else { throw BotFailure.provider("the server is shutting down") }
        let firstTokenBy = ContinuousClock.now + provider.firstTokenTimeout
        return try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                try await Self.read(request, from: client, provider: provider, deadline: deadline, started: started, onDelta: onDelta)
            }
            group.addTask {
                try await Task.sleep(until: min(firstTokenBy, deadline))
                if !started.seen { throw Retryable(failure: .timeout) }
                try await Task.sleep(until: deadline)
                throw BotFailure.timeout
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next() else { throw BotFailure.provider("no answer") }
            return answer
        }
    }

    private static func read(_ request: HTTPClientRequest, from client: HTTPClient, provider: BotProvider, deadline: ContinuousClock.Instant,
                             started: FirstToken, onDelta: @Sendable (String) async throws -> Void) async throws -> String {
        let remaining = deadline - .now
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .nanoseconds(max(1, remaining.components.seconds * 1_000_000_000
                                                                                     + remaining.components.attoseconds / 1_000_000_000)))
        } catch {
            throw Retryable(failure: .provider(describe(error)))
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer()
            let failure = BotFailure.provider("HTTP \(response.status.code): \(ProviderWire.errorMessage(body))")
            // Rate limits and server errors may pass; a refused key or a bad request will not.
            guard response.status.code == 429 || response.status.code >= 500 else { throw failure }
            throw Retryable(failure: failure, retryAfter: retryAfter(response.headers.first(name: "Retry-After")))
        }
        var parser = ServerSentEvents()
        var answer = ""
        func handle(_ event: ServerSentEvents.Event) async throws -> Bool {
            switch ProviderWire.piece(event, kind: provider.kind) {
            case .delta(let text):
                started.mark()
                answer += text
                if answer.utf8.count > Self.maximumAnswerBytes { throw BotFailure.provider("the answer is longer than \(Self.maximumAnswerBytes) bytes") }
                do {
                    try await onDelta(text)
                } catch {
                    throw DeltaRefused(error: error)
                }
            case .thinking:
                // A reasoning model's thinking: the provider is answering, though nothing is shown.
                started.mark()
            case .done:
                return true
            case .failed(let message):
                let failure = BotFailure.provider("stream error: \(message)")
                if started.seen { throw failure }
                throw Retryable(failure: failure)
            case .nothing:
                break
            }
            return false
        }
        do {
            for try await buffer in response.body {
                var events: [ServerSentEvents.Event] = []
                parser.read(buffer.readableBytesView) { events.append($0) }
                for event in events where try await handle(event) { return answer }
            }
        } catch let error as Retryable {
            throw error
        } catch let error as BotFailure {
            throw error
        } catch let error as DeltaRefused {
            throw error
        } catch {
            // The connection broke: before the first token another attempt may do; after it, not.
            let failure = BotFailure.provider("stream broken: \(describe(error))")
            if started.seen { throw failure }
            throw Retryable(failure: failure)
        }
        parser.finish()
        guard !answer.isEmpty else { throw Retryable(failure: .provider("the stream ended without an answer")) }
        return answer
    }

    /// A `Retry-After` header's wait: seconds (a number, finite, at most a minute); an HTTP date
    /// or anything else is ignored and the usual backoff applies.
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value, let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0 else { return nil }
        return .milliseconds(Int(min(seconds, 60) * 1000))
    }

    /// One HTTP client per connect timeout in use (providers share them), created on first use.
    func client(connectTimeout: Duration) -> HTTPClient? {
        let milliseconds = connectTimeout.wholeMilliseconds
        return clients.withLock { clients in
            guard clients != nil else { return nil }
            if let client = clients?[milliseconds] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .milliseconds(Int64(milliseconds)))
            // As many connections per provider as its concurrency limit allows (the default 8
            // would queue the rest until their first-token timeout).
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1000)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients?[milliseconds] = client
            return client
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? BotFailure { return "\(error)" }
        return String(describing: error).prefix(300).description
    }
}

/// Whether a request's first token has arrived (read by its timer, set by its reader).
final class FirstToken: Sendable {
    private let flag = Atomic<Bool>(false)

    var seen: Bool { flag.load(ordering: .relaxed) }

    func mark() { flag.store(true, ordering: .relaxed) }
}

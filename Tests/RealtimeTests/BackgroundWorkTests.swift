import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import Realtime

/// Background work belongs to its service: jobs run while it runs, graceful shutdown waits for
/// the jobs it has taken and refuses new ones, cancellation cancels them, and nothing runs after
/// `run()` returns.
@Suite struct BackgroundWorkTests {
    static let logger = Logger(label: "background-work-tests") { _ in SwiftLogNoOpLogHandler() }

    @Test func everySpawnedJobRunsWhileTheServiceRuns() async throws {
        let work = BackgroundWork()
        let group = ServiceGroup(services: [work], logger: Self.logger)
        let (finished, finishing) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for index in 0..<100 {
                #expect(work.spawn { finishing.yield(index) })
            }
            var seen = Set<Int>()
            for await index in finished {
                seen.insert(index)
                if seen.count == 100 { break }
            }
            #expect(seen == Set(0..<100))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func jobsQueuedBeforeShutdownBeganStillRun() async throws {
        let work = BackgroundWork()
        let ran = Counter()
        for _ in 0..<50 {
            #expect(work.spawn { ran.add() })
        }
        let group = ServiceGroup(services: [work], logger: Self.logger)
        // Remembered, and delivered as the service starts: its stream is finished at once.
        await group.triggerGracefulShutdown()
        try await group.run()
        let count = ran.value
        #expect(count == 50)
    }

    @Test func gracefulShutdownWaitsForRunningJobsAndRefusesNewOnes() async throws {
        let work = BackgroundWork()
        let group = ServiceGroup(services: [work], logger: Self.logger)
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let (gate, opening) = AsyncStream.makeStream(of: Void.self)
        let jobFinished = Flag()
        let jobCancelled = Flag()
        let spawnedByTheJob = Flag(true)
        let lateJobRan = Flag()
        let groupReturned = Flag()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await group.run()
                groupReturned.set(true)
            }
            work.spawn {
                starting.yield()
                for await _ in gate { break }
                jobCancelled.set(Task.isCancelled)
                // Still running, but shutdown has begun: this one is refused.
                spawnedByTheJob.set(work.spawn { lateJobRan.set(true) })
                jobFinished.set(true)
            }
            for await _ in started { break }
            await group.triggerGracefulShutdown()
            // Shutdown begins asynchronously: spawn no-ops until one is refused.
            var attempts = 0
            while work.spawn({}), attempts < 1_000 {
                attempts += 1
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(attempts < 1_000, "graceful shutdown stops the intake")
            #expect(!work.spawn { lateJobRan.set(true) })
            try await Task.sleep(for: .milliseconds(300))
            let returnedEarly = groupReturned.value
            let finishedEarly = jobFinished.value
            #expect(!returnedEarly, "shutdown waits for the running job")
            #expect(!finishedEarly)
            opening.yield()
            try await tasks.waitForAll()
        }
        let (finished, cancelled) = (jobFinished.value, jobCancelled.value)
        let (spawnedLate, ranLate) = (spawnedByTheJob.value, lateJobRan.value)
        #expect(finished)
        #expect(!cancelled, "a graceful shutdown lets jobs finish, uncancelled")
        #expect(!spawnedLate, "a job spawned during shutdown is refused, even by a running job")
        #expect(!ranLate)
    }

    @Test func nothingRunsAfterRunReturns() async throws {
        let work = BackgroundWork()
        let group = ServiceGroup(services: [work], logger: Self.logger)
        await group.triggerGracefulShutdown()
        try await group.run()
        let ran = Flag()
        #expect(!work.spawn { ran.set(true) })
        try await Task.sleep(for: .milliseconds(200))
        let ranLate = ran.value
        #expect(!ranLate)
    }

    @Test func cancellingRunCancelsRunningJobsAndReturnsPromptly() async throws {
        let work = BackgroundWork()
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let (ended, ending) = AsyncStream.makeStream(of: Bool.self)
        work.spawn {
            starting.yield()
            try? await Task.sleep(for: .seconds(60))
            ending.yield(Task.isCancelled)
        }
        let began = ContinuousClock.now
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await work.run() }
            for await _ in started { break }
            tasks.cancelAll()
        }
        #expect(ContinuousClock.now - began < .seconds(10))
        var sawCancellation: Bool?
        for await cancelled in ended {
            sawCancellation = cancelled
            break
        }
        #expect(sawCancellation == true)
        #expect(!work.spawn {})
    }
}

/// A boolean shared with jobs.
private final class Flag: Sendable {
    private let state: Mutex<Bool>
    init(_ value: Bool = false) { state = Mutex(value) }
    func set(_ value: Bool) { state.withLock { $0 = value } }
    var value: Bool { state.withLock { $0 } }
}

/// A count shared with jobs.
private final class Counter: Sendable {
    private let state = Mutex(0)
    func add() { state.withLock { $0 += 1 } }
    var value: Int { state.withLock { $0 } }
}

import Synchronization
import Testing
import Tenancy

@Suite struct WatchdogTests {
    @Test func aWatchExpiresOnceUnlessFinishedFirst() {
        let watchdog = Watchdog(tick: .milliseconds(250))
        let expired = Mutex(0)
        let finished = watchdog.watch(within: .seconds(8)) { expired.withLock { $0 += 1 } }
        #expect(watchdog.finish(finished), "finished in time")
        let overdue = watchdog.watch(within: .seconds(8)) { expired.withLock { $0 += 1 } }
        watchdog.expireOverdue(at: .now)
        #expect(expired.withLock { $0 } == 0, "nothing is due yet")
        watchdog.expireOverdue(at: .now + .seconds(9))
        watchdog.expireOverdue(at: .now + .seconds(10))
        #expect(expired.withLock { $0 } == 1, "expired once")
        #expect(!watchdog.finish(overdue), "too late: the work learns it was given up on")
        #expect(watchdog.openCount == 0)
    }

    @Test func theLoopExpiresOverdueWatches() async {
        let watchdog = Watchdog(tick: .milliseconds(10))
        let (expired, expiring) = AsyncStream.makeStream(of: Void.self)
        _ = watchdog.watch(within: .milliseconds(30)) { expiring.yield() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await watchdog.run() }
            for await _ in expired { break }
            group.cancelAll()
        }
        #expect(watchdog.openCount == 0)
    }
}

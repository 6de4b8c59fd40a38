/// One socket's catch-up of one conversation from the table, and who waits for it.
///
/// One run at a time per socket and conversation reads and writes the missing messages, pass
/// after pass. A request that finds a run at work joins it: the run makes one more pass (so
/// what the request asked for is read) and the request returns only after that pass — so a
/// `subscribe` answers after its replay, and no request made while a run ends is dropped (the
/// end is decided under the same lock that requests join under).
struct CatchUpRun {
    /// Passes started so far.
    var pass = 0
    /// A request came after the current pass started: make another.
    var again = false
    /// Requests waiting, each for the pass it needs finished.
    var waiters: [(pass: Int, continuation: CheckedContinuation<Bool, Never>)] = []

    /// Marks a new pass started.
    mutating func startPass() {
        pass += 1
        again = false
    }

    /// Joins the run: the next pass covers the request.
    mutating func join(_ continuation: CheckedContinuation<Bool, Never>) {
        again = true
        waiters.append((pass + 1, continuation))
    }

    /// Removes and returns the waiters the finished pass has served.
    mutating func served() -> [CheckedContinuation<Bool, Never>] {
        let done = waiters.filter { $0.pass <= pass }.map(\.continuation)
        waiters.removeAll { $0.pass <= pass }
        return done
    }
}

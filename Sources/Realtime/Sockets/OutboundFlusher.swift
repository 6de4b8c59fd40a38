import NIOCore
import Synchronization

/// Coalesces outbound frames per event loop. A socket with frames queued asks its loop's
/// flusher once; the first request on a quiet loop schedules one task there, which writes
/// every waiting socket's frames in order and flushes each socket once. A batch delivered
/// by the writer so costs one hop per loop and one write system call per socket, instead of
/// one of each per frame; order per socket holds because each socket has a single queue.
final class OutboundFlusher: Sendable {
    private let eventLoop: any EventLoop
    private let waiting = Mutex<[LiveSocket]>([])

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// `socket` has frames queued (and was not already waiting): write them soon, on its loop.
    func schedule(_ socket: LiveSocket) {
        let first = waiting.withLock { sockets in
            sockets.append(socket)
            return sockets.count == 1
        }
        if first { eventLoop.execute { self.flush() } }
    }

    private func flush() {
        let sockets = waiting.withLock { sockets in
            var taken: [LiveSocket] = []
            swap(&taken, &sockets)
            return taken
        }
        for socket in sockets { socket.writeQueued() }
    }
}

/// One flusher per event loop, made on first use.
final class OutboundFlushers: Sendable {
    private let flushers = Mutex<[ObjectIdentifier: OutboundFlusher]>([:])

    func flusher(for eventLoop: any EventLoop) -> OutboundFlusher {
        flushers.withLock { flushers in
            if let flusher = flushers[ObjectIdentifier(eventLoop)] { return flusher }
            let flusher = OutboundFlusher(eventLoop: eventLoop)
            flushers[ObjectIdentifier(eventLoop)] = flusher
            return flusher
        }
    }
}

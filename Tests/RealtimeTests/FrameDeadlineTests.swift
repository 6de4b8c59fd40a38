import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing
@testable import Realtime

/// A frame whose handling outlives its deadline is answered `unavailable`, and the socket's next
/// frames go on at once: one watchdog per node, no timer per frame.
@Suite struct FrameDeadlineTests {
    @Test func aStuckFrameIsAnsweredUnavailableAndTheFramesBehindItGoOn() async throws {
        try await RealtimeFixture.with { fixture in
            let channel = NIOAsyncTestingChannel()
            let socket = LiveSocket(id: 1, role: .visitor(tenantID: fixture.tenantID, widgetID: fixture.widgetID), channel: channel,
                                    origin: ConnectionOrigin(ip: "127.0.0.1", userAgent: "test", origin: nil),
                                    flusher: OutboundFlusher(eventLoop: channel.eventLoop))
            let session = StuckSession(hub: fixture.hub)
            socket.attach(session)
            socket.received(#"{"type":"ping","ref":"stuck"}"#, maximumQueued: 64)
            socket.received(#"{"type":"ping","ref":"next"}"#, maximumQueued: 64)
            await session.stuckHandlingStarted()
            fixture.hub.watchdog.expireOverdue(at: .now + .seconds(60))
            let answers = try await Self.frames(on: channel, count: 2)
            #expect(answers == ["error:stuck:unavailable", "pong:next"])

            // The stuck handling returns at last: its answer is dropped, and its drain stops
            // without taking frames from the one that replaced it.
            session.release()
            socket.received(#"{"type":"ping","ref":"after"}"#, maximumQueued: 64)
            let later = try await Self.frames(on: channel, count: 1)
            #expect(later == ["pong:after"])
            #expect(fixture.hub.watchdog.openCount == 0)
        }
    }

    /// The next `count` frames written, as `type:ref[:code]`.
    static func frames(on channel: NIOAsyncTestingChannel, count: Int) async throws -> [String] {
        var frames: [String] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while frames.count < count, ContinuousClock.now < deadline {
            await channel.testingEventLoop.run()
            guard let frame = try await channel.readOutbound(as: WebSocketFrame.self) else {
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            var data = frame.unmaskedData
            let object = try JSONSerialization.jsonObject(with: Data((data.readString(length: data.readableBytes) ?? "").utf8)) as? [String: Any] ?? [:]
            let code = (object["error"] as? [String: Any])?["code"] as? String ?? object["code"] as? String
            frames.append([object["type"] as? String, object["ref"] as? String, code].compactMap { $0 }.joined(separator: ":"))
        }
        return frames
    }
}

/// Answers pings with pongs, except the one with ref "stuck": that one waits until released
/// (and then answers nothing).
private final class StuckSession: SocketSession {
    let hub: Hub
    private let gate = Mutex<(started: CheckedContinuation<Void, Never>?, hasStarted: Bool, release: CheckedContinuation<Void, Never>?)>((nil, false, nil))

    init(hub: Hub) { self.hub = hub }

    func handle(_ frame: FrameFields, on socket: LiveSocket) async throws {
        guard frame.ref == "stuck" else {
            socket.send(.pong(ref: frame.ref))
            return
        }
        await withCheckedContinuation { continuation in
            let started = gate.withLock { gate in
                gate.release = continuation
                gate.hasStarted = true
                defer { gate.started = nil }
                return gate.started
            }
            started?.resume()
        }
    }

    func stuckHandlingStarted() async {
        await withCheckedContinuation { continuation in
            let already = gate.withLock { gate in
                if gate.hasStarted { return true }
                gate.started = continuation
                return false
            }
            if already { continuation.resume() }
        }
    }

    func release() {
        gate.withLock { gate in
            defer { gate.release = nil }
            return gate.release
        }?.resume()
    }
}

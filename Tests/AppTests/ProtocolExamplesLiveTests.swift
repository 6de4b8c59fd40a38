import Foundation
import Testing
import TestSupport

/// docs/protocol.md's example sessions, replayed against a real `kefu serve`: every frame the
/// examples send is sent, and every frame the server sends must be the next one the example
/// shows — its type and every field it shows, with its ids and tokens standing for the server's
/// (the same id everywhere the example repeats it) and its times for any time. So the examples
/// stay true.
@Suite(.serialized) struct ProtocolExamplesLiveTests {
    @Test func theDocumentedExampleSessionsHappenAsWritten() async throws {
        let examples = try ProtocolExamples.load()
        #expect(examples.sessions.keys.sorted() == ["agent", "visitor"])
        try await RealtimeHarness.with { harness in
            let owner = try await harness.token(email: "boss@acme.example")
            // The widget of the examples (its settings show in the visitor's welcome).
            let widget = try await harness.request(.post, "/api/v1/widgets", [
                "name": "Shop", "allowedOrigins": [RealtimeHarness.origin], "greeting": "Hi! How can we help?", "themeColor": "#1f6feb",
            ], token: owner)
            let replay = ExampleReplay(
                harness: harness, widgetKey: try #require(widget.json["publicKey"] as? String, "\(widget.text)"),
                agentToken: try await harness.token(email: "agent@acme.example"))
            let sessions = Array(examples.sessions.values)
            let steps = Set(sessions.flatMap(\.steps.keys)).sorted()
            for step in steps {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for session in sessions {
                        let lines = session.steps[step] ?? []
                        group.addTask { try await replay.run(lines, side: session.name, step: step) }
                    }
                    try await group.waitForAll()
                }
                // A send's commit is the server's business; the next step starts after it.
                try await replay.waitForCommits()
            }
            try await replay.expectNothingMore()
        }
    }
}

/// Runs example lines on a live node: one socket per side, the example's ids bound to the
/// server's as they appear.
actor ExampleReplay {
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    let harness: RealtimeHarness
    let widgetKey: String
    let agentToken: String
    private var bindings = ExampleBindings()
    private var sockets: [String: WebSocketTestClient] = [:]
    private var sentClientIDs: [String] = []

    init(harness: RealtimeHarness, widgetKey: String, agentToken: String) {
        self.harness = harness
        self.widgetKey = widgetKey
        self.agentToken = agentToken
    }

    func run(_ lines: [ProtocolExamples.Line], side: String, step: Int) async throws {
        var repeating: ExampleJSON?
        for line in lines {
            switch line {
            case .connect(let path, let header):
                await sockets[side]?.close()
                sockets[side] = try await connect(path: path, header: header)
                repeating = nil
            case .send(let text):
                let frame = try bindings.substituted(text)
                if let object = try JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: Any],
                   object["type"] as? String == "send", let clientID = object["clientId"] as? String {
                    sentClientIDs.append(clientID)
                }
                try await socket(side).sendText(frame)
                repeating = nil
            case .expect(let expected, let text, let mayRepeat):
                while true {
                    guard let received = try await socket(side).nextText() else {
                        throw Mismatch(description: "\(side), step \(step): the socket closed before \(text)")
                    }
                    let actual = try ExampleJSON.parse(received)
                    if let previous = repeating, bindings.match(previous, actual) == nil { continue }
                    if let mismatch = bindings.match(expected, actual) {
                        throw Mismatch(description: "\(side), step \(step): expected\n  \(text)\nbut the server sent\n  \(received)\n(\(mismatch))")
                    }
                    break
                }
                repeating = mayRepeat ? expected : nil
            }
        }
    }

    /// Waits until every `send` so far is committed (by its client id).
    func waitForCommits() async throws {
        for clientID in sentClientIDs {
            let deadline = ContinuousClock.now + .seconds(10)
            while try await harness.sql("SELECT count(*)::text FROM messages WHERE client_key LIKE '%:\(clientID)'") == [["0"]] {
                guard ContinuousClock.now < deadline else { throw Mismatch(description: "the send \(clientID) was never committed") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        sentClientIDs.removeAll()
    }

    /// After the last step: no side's socket got a frame the examples do not show.
    func expectNothingMore() async throws {
        for (side, socket) in sockets {
            if let extra = try? await socket.nextText(timeout: .milliseconds(500)) {
                throw Mismatch(description: "\(side): after the session the server also sent\n  \(extra)")
            }
        }
    }

    private func socket(_ side: String) throws -> WebSocketTestClient {
        guard let socket = sockets[side] else { throw Mismatch(description: "\(side): a frame before its GET") }
        return socket
    }

    /// The example's socket, with this node's credentials in place of the example's.
    private func connect(path: String, header: (name: String, value: String)?) async throws -> WebSocketTestClient {
        let port = harness.nodes[0].port
        if path.hasPrefix("/ws/visitor?key=") {
            #expect(header?.name == "Origin")
            return try await WebSocketTestClient.connect(port: port, path: "/ws/visitor?key=\(widgetKey)", headers: [("Origin", header?.value ?? "")])
        }
        #expect(path == "/ws/agent" && header?.name == "Authorization", "\(path)")
        return try await WebSocketTestClient.connect(port: port, path: "/ws/agent", headers: [("Authorization", "Bearer \(agentToken)")])
    }
}

import Foundation
import Testing

/// The reading of docs/protocol.md's example sessions, and the comparison the live replay
/// makes: what it accepts and, above all, what it refuses.
@Suite struct ProtocolExamplesTests {
    @Test func theDocumentHasBothSessionsInNumberedSteps() throws {
        let sessions = try ProtocolExamples.load().sessions
        #expect(sessions.keys.sorted() == ["agent", "visitor"])
        for session in sessions.values {
            let lines = session.steps.values.flatMap { $0 }
            #expect(lines.contains { if case .connect = $0 { true } else { false } }, "\(session.name)")
            #expect(lines.filter { if case .send = $0 { true } else { false } }.count >= 3, "\(session.name)")
            #expect(lines.filter { if case .expect = $0 { true } else { false } }.count >= 10, "\(session.name)")
        }
    }

    @Test func aSessionIsReadStepByStep() throws {
        let markdown = """
            Text.

            ```session visitor
               2. Opens a page,
                  and says hello.
            GET /ws/visitor?key=kfw_x   Origin: https://shop.example
            → {"type":"hello","v":1}
            ← {"type":"welcome",…}   (may repeat)

               4. Later.
            → {"type":"ping","ref":"p"}
            ```
            """
        let session = try #require(try ProtocolExamples(markdown: markdown).sessions["visitor"])
        #expect(session.steps.keys.sorted() == [2, 4])
        let first = try #require(session.steps[2])
        #expect(first.count == 3)
        if case .connect(let path, let header) = first[0] {
            #expect(path == "/ws/visitor?key=kfw_x")
            #expect(header?.name == "Origin" && header?.value == "https://shop.example")
        } else {
            Issue.record("the GET line was not read as a connect: \(first[0])")
        }
        if case .expect(let frame, _, let mayRepeat) = first[2] {
            #expect(frame == .object(["type": .string("welcome")], open: true))
            #expect(mayRepeat)
        } else {
            Issue.record("the ← line was not read as an expectation")
        }
    }

    @Test(arguments: [
        "```session a\n→ {\"type\":\"ping\"}\n```",            // a frame before any step
        "```session a\n   1. x\n<- {\"type\":\"ping\"}\n```",  // neither →, ← nor GET
        "```session a\n   2. x\n   1. y\n```",                 // steps out of order
        "```session a\n   1. x\n← {\"type\":\"ok\"} (maybe)\n```",
        "```session a\n   1. x\n← {\"type\":\"ok\"\n```",       // not closed
        "```session a\n   1. x\n",                              // block not closed
    ])
    func malformedSessionsAreRefused(_ markdown: String) {
        #expect(throws: ExampleJSON.SyntaxError.self) { try ProtocolExamples(markdown: markdown) }
    }

    static let conversation = "29DE6FEE-E2C8-4FBB-A0E7-9287CB14A091"

    @Test func framesMatchWithIdsStandingForTheServersOwn() throws {
        var bindings = ExampleBindings()
        let expected = try ExampleJSON.parse(#"{"conversation":{…,"id":"29DE6FEE-E2C8-4FBB-A0E7-9287CB14A091","status":"open",…},"at":"2026-11-23T17:22:30.112Z","text":"{\"agentId\":\"814f89fc-5524-46ce-a487-bab6e98e1a12\"}","type":"conversation"}"#)
        let actual = try ExampleJSON.parse(#"{"conversation":{"id":"1FD35C23-DA7E-448B-A270-C3C2028CA8D5","status":"open","unread":1},"at":"2030-01-02T03:04:05.678Z","text":"{\"agentId\":\"480f0d3e-9f75-4541-866f-689cedf919af\"}","type":"conversation"}"#)
        #expect(bindings.match(expected, actual) == nil)
        // The ids are bound: sent frames carry the server's, and a repeated id must be the same one.
        #expect(try bindings.substituted(#"{"type":"read","conversationId":"\#(Self.conversation)","seq":2}"#)
            == #"{"type":"read","conversationId":"1FD35C23-DA7E-448B-A270-C3C2028CA8D5","seq":2}"#)
        #expect(try bindings.substituted(#"{"agentId":"814F89FC-5524-46CE-A487-BAB6E98E1A12"}"#).contains("480F0D3E"))
        let other = try ExampleJSON.parse(#"{"conversationId":"\#(Self.conversation)","type":"read"}"#)
        #expect(bindings.match(other, try ExampleJSON.parse(#"{"conversationId":"00000000-0000-4000-8000-000000000000","type":"read"}"#)) != nil)
    }

    @Test(arguments: [
        // Another type of frame.
        (#"{"position":1,"type":"queue"}"#, #"{"message":{},"type":"message"}"#),
        // A field the example does not show, where it shows every field.
        (#"{"ref":"x1","type":"ok"}"#, #"{"ref":"x1","type":"ok","extra":true}"#),
        // A field it shows, missing or different.
        (#"{"conversation":{…,"status":"open",…},"type":"conversation"}"#, #"{"conversation":{"id":"x"},"type":"conversation"}"#),
        (#"{"conversation":{…,"status":"open",…},"type":"conversation"}"#, #"{"conversation":{"status":"queued"},"type":"conversation"}"#),
        (#"{"seq":2,"type":"read"}"#, #"{"seq":3,"type":"read"}"#),
        (#"{"messages":[{…"seq":1…}],"type":"history"}"#, #"{"messages":[{"seq":1},{"seq":2}],"type":"history"}"#),
        // A time where a time is shown, and an event's text compared as JSON.
        (#"{"at":"2026-11-23T17:22:30.112Z","type":"x"}"#, #"{"at":"soon","type":"x"}"#),
        (#"{"text":"{\"event\":\"resolved\"}","type":"x"}"#, #"{"text":"{\"event\":\"reopened\"}","type":"x"}"#),
        // Two ids of the example standing for one id of the server.
        (#"{"a":"29DE6FEE-E2C8-4FBB-A0E7-9287CB14A091","b":"AAB2B273-B7C3-46BC-BFFF-1037DB2D8A42","type":"x"}"#,
         #"{"a":"1FD35C23-DA7E-448B-A270-C3C2028CA8D5","b":"1FD35C23-DA7E-448B-A270-C3C2028CA8D5","type":"x"}"#),
    ])
    func framesThatDifferFromTheExampleAreRefused(expected: String, actual: String) throws {
        var bindings = ExampleBindings()
        #expect(bindings.match(try ExampleJSON.parse(expected), try ExampleJSON.parse(actual)) != nil)
    }
}

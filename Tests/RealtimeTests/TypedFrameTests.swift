import Foundation
import Testing
@testable import Realtime

/// Frames become typed per socket kind: each type's required fields are checked once, in one
/// place, and a frame type the socket does not speak is refused with its name.
@Suite struct TypedFrameTests {
    static let id = UUID()

    func agent(_ text: String) throws -> AgentFrame { try AgentFrame(try FrameFields.decode(text)) }
    func visitor(_ text: String) throws -> VisitorFrame { try VisitorFrame(try FrameFields.decode(text)) }

    func refusal(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as RealtimeError {
            return error.message
        } catch let error as UnreadableFrame {
            return error.problem.message
        } catch {
            return "\(error)"
        }
    }

    @Test func agentFramesCarryTheirTypedFields() throws {
        #expect(try agent(#"{"type":"subscribe","conversationId":"\#(Self.id)","afterSeq":3}"#) == .subscribe(conversationID: Self.id, afterSeq: 3))
        #expect(try agent(#"{"type":"send","conversationId":"\#(Self.id)","clientId":"c","text":"t","note":true}"#)
                == .send(conversationID: Self.id, clientID: "c", text: "t", note: true))
        #expect(try agent(#"{"type":"status","conversationId":"\#(Self.id)","status":"snoozed","until":"2026-12-01T08:00:00Z"}"#)
                == .status(conversationID: Self.id, status: .snoozed, until: ISO8601DateFormatter().date(from: "2026-12-01T08:00:00Z")))
        #expect(try agent(#"{"type":"presence","status":"offline"}"#) == .presence(.offline))
        #expect(try agent(#"{"type":"typing","conversationId":"\#(Self.id)"}"#) == .typing(conversationID: Self.id, typing: true, note: false))
        #expect(try agent(#"{"type":"resume","conversations":{"\#(Self.id)":7}}"#) == .resume([Self.id: 7]))
    }

    @Test func agentFramesMissingWhatTheirTypeNeedsAreRefusedByName() {
        #expect(refusal { try agent(#"{"type":"accept"}"#) } == #""accept" needs "conversationId"."#)
        #expect(refusal { try agent(#"{"type":"read","conversationId":"\#(Self.id)"}"#) } == #""read" needs "seq"."#)
        #expect(refusal { try agent(#"{"type":"presence","status":"busy"}"#) } == #""status" must be "online", "away" or "offline"."#)
        #expect(refusal { try agent(#"{"type":"status","conversationId":"\#(Self.id)","status":"gone"}"#) }?.hasPrefix(#""status" needs "status": one of"#) == true)
        #expect(refusal { try agent(#"{"type":"resume"}"#) } == #""resume" needs "conversations"."#)
        #expect(refusal { try agent(#"{"type":"resume","conversations":{"nope":1}}"#) }?.contains("not one") == true)
        #expect(refusal { try agent(#"{"type":"resume","conversations":{"\#(Self.id)":-1}}"#) } == #""conversations" values are seqs, 0 or more."#)
        #expect(refusal { try agent(#"{"type":"hello"}"#) } == #"Unknown frame type "hello"."#)
    }

    @Test func resumeIsBounded() {
        let entries = (0...AgentFrame.maximumResumed).map { _ in "\"\(UUID())\":0" }.joined(separator: ",")
        #expect(refusal { try agent(#"{"type":"resume","conversations":{\#(entries)}}"#) }?.contains("more than") == true)
    }

    @Test func visitorFramesCarryTheirTypedFields() throws {
        #expect(try visitor(#"{"type":"send","clientId":"c","text":"t","newConversation":true}"#) == .send(clientID: "c", text: "t", newConversation: true))
        #expect(try visitor(#"{"type":"send","clientId":"c","text":"t"}"#) == .send(clientID: "c", text: "t", newConversation: false))
        #expect(try visitor(#"{"type":"profile","profile":{"name":"Li Lei"}}"#)
                == .profile(identity: nil, profile: FrameFields.Profile(name: "Li Lei")))
        guard case .hello(let hello) = try visitor(#"{"type":"hello","v":1,"lastSeq":4,"page":{"url":"https://x"}}"#) else {
            Issue.record("not a hello")
            return
        }
        #expect(hello.version == 1 && hello.lastSeq == 4 && hello.page?.url == "https://x")
    }

    @Test func visitorFramesRefuseWhatTheyCannotUse() {
        #expect(refusal { try visitor(#"{"type":"profile"}"#) } == #""profile" needs "profile" or "identity"."#)
        #expect(refusal { try visitor(#"{"type":"rate"}"#) } == #""rate" needs "rating"."#)
        #expect(refusal { try visitor(#"{"type":"subscribe","conversationId":"\#(Self.id)"}"#) } == #"Unknown frame type "subscribe"."#)
    }

    /// docs/protocol.md: a known field of the wrong type is `invalid-frame` whatever the frame's
    /// type, also where that type does not use the field.
    @Test(arguments: [
        #"{"type":"ping","conversationId":5}"#,
        #"{"type":"ping","newConversation":"yes"}"#,
        #"{"type":"ping","conversations":[1]}"#,
        #"{"type":"typing","seq":"1"}"#,
    ])
    func aKnownFieldOfTheWrongTypeIsInvalidInAnyFrame(_ text: String) {
        #expect(throws: UnreadableFrame.self) { try FrameFields.decode(text) }
    }
}

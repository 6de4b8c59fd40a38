import Foundation
import Testing
@testable import Realtime

/// The NOTIFY payloads on channel `kefu`: one text format, written and read only by `FanoutEvent`,
/// that nodes of other versions (and SQL) share byte for byte.
@Suite struct FanoutEventTests {
    let tenant = UUID(uuidString: "0A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D3")!
    let conversation = UUID(uuidString: "F0E1D2C3-B4A5-4968-8776-655443322110")!
    let other = UUID(uuidString: "11111111-2222-4333-8444-555555555555")!
    let agent = UUID(uuidString: "ABCDEF01-2345-4678-89AB-CDEF01234567")!

    var t: String { tenant.uuidString.lowercased() }
    var c: String { conversation.uuidString.lowercased() }
    var o: String { other.uuidString.lowercased() }
    var a: String { agent.uuidString.lowercased() }

    @Test func everyEventIsWrittenInTheFormatEveryNodeVersionReads() {
        let expectations: [(FanoutEvent, String)] = [
            (.messagesCommitted(node: "n1", positions: [.init(tenantID: tenant, conversationID: conversation, lastSeq: 42),
                                                        .init(tenantID: tenant, conversationID: other, lastSeq: 7)]),
             "mn1;\(t) \(c) 42;\(t) \(o) 7"),
            (.conversationChanged(node: "n1", tenantID: tenant, conversationID: conversation), "en1;\(t) \(c)"),
            (.typing(node: "n1", tenantID: tenant, conversationID: conversation, senderType: .agent, senderID: agent, typing: true,
                     toVisitors: false), "tn1;\(t) \(c) agent \(a) 1 0"),
            (.typing(node: "n1", tenantID: tenant, conversationID: conversation, senderType: .visitor, senderID: nil, typing: false,
                     toVisitors: true), "tn1;\(t) \(c) visitor - 0 1"),
            (.read(node: "n1", tenantID: tenant, conversationID: conversation, side: .visitor, seq: 9), "rn1;\(t) \(c) visitor 9"),
            // What the trigger on word_rules writes, as SQL by hand does (no node: "-").
            (.wordsChanged(node: "-", tenantID: tenant), "w-;\(t)"),
            // The text in base64: it may hold spaces, `;` and line breaks.
            (.botDelta(node: "n1", tenantID: tenant, conversationID: conversation, streamID: "bot-1", offset: 3, delta: "好; a b\n"),
             "sn1;\(t) \(c) bot-1 3 5aW9OyBhIGIK"),
            (.botWithdrawn(node: "n1", tenantID: tenant, conversationID: conversation, streamID: "bot-1", reason: "timeout"),
             "xn1;\(t) \(c) bot-1 timeout"),
            (.nodeAlive(node: "n1"), "nn1;"),
        ]
        for (event, payload) in expectations {
            #expect(event.payload == payload)
        }
    }

    @Test func everyEventRoundTripsThroughItsPayload() {
        let events: [FanoutEvent] = [
            .messagesCommitted(node: "a1b2c3d4", positions: [.init(tenantID: tenant, conversationID: conversation, lastSeq: 1)]),
            .messagesCommitted(node: "a1b2c3d4", positions: [.init(tenantID: tenant, conversationID: conversation, lastSeq: Int64.max),
                                                              .init(tenantID: other, conversationID: other, lastSeq: 0)]),
            .conversationChanged(node: "a1b2c3d4", tenantID: tenant, conversationID: conversation),
            .typing(node: "a1b2c3d4", tenantID: tenant, conversationID: conversation, senderType: .agent, senderID: agent, typing: true,
                    toVisitors: true),
            .typing(node: "a1b2c3d4", tenantID: tenant, conversationID: conversation, senderType: .visitor, senderID: nil, typing: false,
                    toVisitors: false),
            .read(node: "a1b2c3d4", tenantID: tenant, conversationID: conversation, side: .agent, seq: 12345),
            .wordsChanged(node: "a1b2c3d4", tenantID: tenant),
            .botDelta(node: "a1b2c3d4", tenantID: tenant, conversationID: conversation, streamID: "bot-9", offset: 0, delta: "您好！😀 ;;"),
            .botWithdrawn(node: "a1b2c3d4", tenantID: tenant, conversationID: conversation, streamID: "bot-9", reason: "content-blocked"),
            .nodeAlive(node: "a1b2c3d4"),
        ]
        for event in events {
            #expect(FanoutEvent(payload: event.payload) == event)
            #expect(FanoutEvent(payload: event.payload)?.node == "a1b2c3d4")
        }
    }

    @Test func malformedEntriesAreSkippedAndTheRestDelivered() {
        let payload = "mn1;\(t) \(c) 5;not-a-uuid \(c) 6;\(t) \(o) x;\(t) \(o);;\(t) \(o) 1 2;\(t) \(o) 8"
        #expect(FanoutEvent(payload: payload) == .messagesCommitted(node: "n1", positions: [
            .init(tenantID: tenant, conversationID: conversation, lastSeq: 5),
            .init(tenantID: tenant, conversationID: other, lastSeq: 8),
        ]))
        #expect(FanoutEvent(payload: "en1;\(t);\(t) \(c)") == .conversationChanged(node: "n1", tenantID: tenant, conversationID: conversation))
        #expect(FanoutEvent(payload: "tn1;\(t) \(c) robot - 1 1;\(t) \(c) bot - 1 1")
            == .typing(node: "n1", tenantID: tenant, conversationID: conversation, senderType: .bot, senderID: nil, typing: true, toVisitors: true))
        #expect(FanoutEvent(payload: "rn1;\(t) \(c) agent;\(t) \(c) agent 3")
            == .read(node: "n1", tenantID: tenant, conversationID: conversation, side: .agent, seq: 3))
    }

    @Test(arguments: [
        "", "m", "mn1", "mn1;", "mn1;;", "xn1;a b 1", "zn1;\u{0}", "n", "nn1", "n;",
        "mn1;0a1b2c3d 4e5f 1", "mn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110",
        "mn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 seven",
        "en1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3",
        "tn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 agent - 1",
        "tn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 robot - 1 1",
        "rn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 agent",
        "rn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 nobody 3",
        "rn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 agent 3.5",
        "sn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 bot-1 -1 YQ==",
        "sn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 bot-1 0 not*base64",
        "sn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 bot-1 0",
        "xn1;0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3 f0e1d2c3-b4a5-4968-8776-655443322110 bot-1",
    ])
    func aPayloadWithoutOneWellFormedEntryDecodesToNothing(payload: String) {
        #expect(FanoutEvent(payload: payload) == nil)
    }

    @Test func aNodeRecognisesItsOwnPayloadsWithoutParsingThem() {
        #expect(FanoutEvent.payload("ma1b2;anything", isFrom: "a1b2"))
        #expect(FanoutEvent.payload("ta1b2;", isFrom: "a1b2"))
        #expect(!FanoutEvent.payload("ma1b2c;anything", isFrom: "a1b2"), "another node whose id starts with ours")
        #expect(!FanoutEvent.payload("ma1b;anything", isFrom: "a1b2"))
        #expect(!FanoutEvent.payload("ma1b2", isFrom: "a1b2"))
        #expect(!FanoutEvent.payload("a1b2;anything", isFrom: "a1b2"), "the kind comes first")
        #expect(!FanoutEvent.payload("", isFrom: "a1b2"))
        let event = FanoutEvent.read(node: "a1b2", tenantID: tenant, conversationID: conversation, side: .agent, seq: 1)
        #expect(FanoutEvent.payload(event.payload, isFrom: event.node))
    }
}

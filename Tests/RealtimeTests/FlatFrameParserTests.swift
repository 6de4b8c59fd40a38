import Foundation
import Testing
import Tenancy
@testable import Realtime

/// The flat-frame fast path decodes exactly what the general decoder does, and hands every
/// frame it cannot read to it (which then words the error).
@Suite struct FlatFrameParserTests {
    static let conversation = UUID()

    static let fast = [
        #"{"type":"send","clientId":"m1","text":"hello"}"#,
        #"{ "type" : "send" ,"ref":"r-1", "clientId":"m2","text":"你好，在吗？" }"#,
        "{\n\t\"type\":\"send\",\r\n\"clientId\":\"m3\",\"text\":\"line\\nbreak\"}",
        #"{"type":"send","clientId":"m4","text":"q\"b\\s\/d\b\f\n\r\t\u00e9\u4F60\ud83d\udc4b end"}"#,
        #"{"type":"read","seq":42}"#,
        #"{"type":"typing","typing":false}"#,
        #"{"type":"subscribe","conversationId":"\#(conversation.uuidString.lowercased())","afterSeq":0}"#,
        #"{"type":"history","conversationId":"\#(conversation.uuidString)","beforeSeq":-1,"limit":50}"#,
        #"{"type":"send","ref":null,"clientId":"a","text":"b","note":true}"#,
        #"{"type":"ping","extra":"x","n":7,"flag":true,"none":null}"#,
        #"{"type":"rate","rating":5,"comment":""}"#,
        #"{"type":"hello","v":1,"token":"kfv_abc","language":"zh-CN","lastSeq":9223372036854775807}"#,
        #"{"type":""}"#,
    ]

    static let general = [
        #"{"type":"hello","v":1,"identity":{"userId":"u","hash":"h"},"page":{"url":"https://x"}}"#,
        #"{"type":"ping","x":{"a":1}}"#,
        #"{"type":"ping","x":[1,2]}"#,
        #"{"type":"send","seq":1.5}"#,
        #"{"type":"send","seq":1e3}"#,
        #"{"type":"send","seq":"1"}"#,
        #"{"type":"send","seq":01}"#,
        #"{"type":"send","seq":99999999999999999999}"#,
        #"{"type":"a","type":"b"}"#,
        #"{"type":"snooze","until":"2026-11-23T20:00:00Z"}"#,
        #"{"type":"subscribe","conversationId":"not-a-uuid"}"#,
        #"{"type":"send","text":"\ud800"}"#,
        #"{"type":"send","text":"\x"}"#,
        "{\"type\":\"send\",\"text\":\"raw\u{01}control\"}",
        #"{"type":"ping"} trailing"#,
        #"{"type":"ping",}"#,
        #"{"type":null}"#,
        #"{"ref":"no type"}"#,
        #"[{"type":"ping"}]"#,
        #""ping""#,
        "",
        "{",
    ]

    @Test(arguments: fast)
    func flatFramesTakeTheFastPathAndMatchTheDecoder(_ text: String) throws {
        let fields = try #require(FlatFrameParser.parse(text))
        let frame = try #require(FrameFields(flat: fields))
        #expect(frame == (try FrameFields.decodeGenerally(text)))
    }

    @Test(arguments: general)
    func otherFramesGoToTheDecoderWithItsErrors(_ text: String) {
        #expect(FlatFrameParser.parse(text).flatMap(FrameFields.init(flat:)) == nil)
        let fast = Result { () throws(UnreadableFrame) in try FrameFields.decode(text) }.mapError(\.problem)
        let general = Result { () throws(RealtimeError) in try FrameFields.decodeGenerally(text) }
        #expect(fast == general)
    }

    /// Invalid frames whose `ref` can be read, read by the flat parser (which then hands the frame
    /// to the decoder for its error) or only by the decoder.
    static let refused: [(text: String, flat: Bool, ref: String?)] = [
        (#"{"type":"send","clientId":5,"ref":"r1","text":"hi"}"#, true, "r1"),
        (#"{"ref":"r2","type":"subscribe","conversationId":"not-a-uuid"}"#, true, "r2"),
        (#"{"ref":"no type"}"#, true, "no type"),
        (#"{"type":"send","seq":"1","ref":7}"#, true, nil),
        (#"{"type":"send","ref":null,"seq":true}"#, true, nil),
        (#"{"type":"hello","identity":{"userId":5,"hash":"h"},"ref":"r3"}"#, false, "r3"),
        (#"{"type":"send","seq":1.5,"ref":"r\u00e9"}"#, false, "ré"),
        (#"{"type":"snooze","until":"tomorrow","ref":"r4"}"#, true, "r4"),
        (#"{"type":"history","limit":{"n":1},"ref":"r5"}"#, false, "r5"),
        (#"{"type":"send","ref":["r6"],"x":{}}"#, false, nil),
        (#"{"ref":"r7","type":"send","text":"\ud800"}"#, false, "r7"),
        // Not JSON, or not an object: nothing can be read.
        (#"{"ref":"r8","type":"send","text":"cut off"#, false, nil),
        (#"[{"type":"ping","ref":"r9"}]"#, false, nil),
    ]

    @Test(arguments: refused)
    func anInvalidFrameIsRefusedWithItsRefWheneverTheRefCanBeRead(text: String, flat: Bool, ref: String?) {
        #expect((FlatFrameParser.parse(text) != nil) == flat, "which parser reads the ref")
        #expect(FlatFrameParser.parse(text).flatMap(FrameFields.init(flat:)) == nil)
        do {
            let decoded = try FrameFields.decode(text)
            Issue.record("decoded an invalid frame: \(decoded)")
        } catch {
            #expect(error.ref == ref)
            #expect(error.problem.code == "invalid-frame")
        }
        #expect(FrameFields.readableRef(text) == ref)
    }

    @Test func uuidTextMatchesFoundation() {
        for _ in 0..<100 {
            let id = UUID()
            #expect(id.uppercased == id.uuidString)
            #expect(id.lowercased == id.uuidString.lowercased())
        }
    }
}

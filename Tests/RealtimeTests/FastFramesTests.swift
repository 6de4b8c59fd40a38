import Foundation
import Testing
@testable import Realtime

/// The hand-written `ack`, `message` and `error` frames match the general encoder byte for byte.
@Suite struct FastFramesTests {
    static let texts = ["hello", "你好，在吗？", "quote \" back\\slash / slash", "lines\nand\ttabs\r", "\u{01}\u{1F} controls \u{7F}", "emoji 👋🏽", ""]

    @Test(arguments: texts)
    func messageFramesMatchTheEncoder(_ text: String) {
        for (clientID, senderID, attachmentID) in [("c-1", UUID(), UUID()), (nil, nil, nil)] as [(String?, UUID?, UUID?)] {
            let message = Message(tenantID: UUID(), conversationID: UUID(), seq: 42, id: UUID(), senderType: .visitor, senderID: senderID,
                                  kind: .text, body: text, attachmentID: attachmentID, clientID: clientID,
                                  createdAt: Date(timeIntervalSince1970: 1_795_000_000.123))
            #expect(FastFrames.message(message) == ServerFrame.message(message).encoded)
            for ref in ["r\"1", nil] as [String?] {
                for duplicate in [true, false] {
                    let result = AppendResult(message: message, duplicate: duplicate)
                    #expect(FastFrames.ack(ref: ref, result) == ServerFrame.ack(ref: ref, result).encoded)
                }
            }
        }
    }

    @Test func errorFramesMatchTheEncoder() {
        let errors: [RealtimeError] = [.overloaded(retryAfterMilliseconds: 140), .unavailable, .contentBlocked(category: "广告 \"spam\""),
                                       .invalid("Field \"clientId\" must be a string / not 5."), .conversationNotFound, .rateLimited]
        for error in errors {
            for ref in ["m12", "r\"1\\ / 你好", nil] as [String?] {
                #expect(FastFrames.error(ref: ref, error) == ServerFrame.error(ref: ref, error).encoded)
            }
        }
    }
}

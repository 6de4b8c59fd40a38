import Foundation
import Testing
@testable import Realtime

/// A bot answer's text crosses to the other nodes in notifications of bounded size, each piece
/// with the scalar offset a client checks it against.
@Suite struct StreamRelayPiecesTests {
    @Test func longTextIsCutIntoBoundedPiecesWithContiguousOffsets() {
        let text = String(repeating: "您好，这是一个很长的回答。Hello 😀 ", count: 400)
        let pieces = StreamRelay.pieces(of: text, from: 17)
        #expect(pieces.count > 1)
        #expect(pieces.allSatisfy { $0.text.utf8.count <= StreamRelay.pieceBytes && !$0.text.isEmpty })
        var offset = 17
        for piece in pieces {
            #expect(piece.offset == offset)
            offset += piece.text.unicodeScalars.count
        }
        #expect(pieces.map(\.text).joined() == text)
    }

    @Test func shortTextTravelsWhole() {
        let pieces = StreamRelay.pieces(of: "好的", from: 0)
        #expect(pieces.map(\.offset) == [0])
        #expect(pieces.map(\.text) == ["好的"])
    }
}

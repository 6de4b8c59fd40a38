import Testing
@testable import Realtime

/// Whom a node believes would hear a relayed bot answer.
@Suite struct OtherNodesTests {
    @Test func aNodeIsNewWhenFirstHeardAndListensUntilItFallsSilent() {
        let nodes = OtherNodes()
        let start = ContinuousClock.now
        #expect(!nodes.anyListening(at: start))
        #expect(nodes.heard(from: "a1", at: start))
        #expect(!nodes.heard(from: "a1", at: start + .seconds(10)))
        #expect(nodes.anyListening(at: start + .seconds(40)))
        // Silent for longer than three announcements: nobody listens, and it is new again.
        #expect(!nodes.anyListening(at: start + .seconds(10) + OtherNodes.forgetAfter))
        #expect(nodes.heard(from: "a1", at: start + .seconds(60)))
        #expect(nodes.heard(from: "b2", at: start + .seconds(60)))
        #expect(nodes.anyListening(at: start + .seconds(61)))
    }
}

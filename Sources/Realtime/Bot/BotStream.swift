import Foundation
import Synchronization
import Tenancy

/// One answer as it streams: what of it is settled is checked against the tenant's words and
/// forwarded, masked, to the conversation's sockets on this node, and through `StreamRelay` to
/// those on the other nodes.
final class BotStream: Sendable {
    /// The answer contains a word that blocks it.
    struct Blocked: Error {}
    /// The model said it cannot answer with confidence (it wrote `handoffMarker`).
    struct Unsure: Error {}

    /// What the system prompt asks the model to write when it cannot answer with confidence:
    /// never shown, it hands the conversation over with reason `low-confidence`.
    static let handoffMarker = "[[handoff]]"

    let conversationID: UUID
    let id: String
    let hub: Hub
    let matcher: WordMatcher?
    private let relay: StreamRelay
    /// The answer so far, how many of its scalars are settled and shown, and how many scalars
    /// of the masked text those made.
    private let state = Mutex((text: "", settled: 0, shownMasked: 0))

    init(tenantID: UUID, conversationID: UUID, id: String, hub: Hub, matcher: WordMatcher?) {
        relay = StreamRelay(tenantID: tenantID, conversationID: conversationID, streamID: id, hub: hub)
        self.conversationID = conversationID
        self.id = id
        self.hub = hub
        self.matcher = matcher
    }

    var hasShown: Bool { state.withLock { $0.shownMasked > 0 } }

    /// Takes the next piece of the answer; forwards what is now settled, masked, with how much
    /// was shown before it.
    func received(_ delta: String) throws {
        let forward: (offset: Int, text: String)? = try state.withLock { state in
            state.text += delta
            if state.text.contains(Self.handoffMarker) { throw Unsure() }
            // What may be the start of the marker waits for the next piece.
            let visible = Self.withoutMarkerStart(state.text)
            let shown: String
            if let matcher {
                let (verdict, settled) = matcher.checkSettled(visible, sender: .bot)
                if verdict.action == .block { throw Blocked() }
                guard settled > state.settled, let masked = verdict.text else { return nil }
                state.settled = settled
                shown = masked
            } else {
                shown = visible
            }
            // Settled text never changes, so what was shown is a prefix of its masked form.
            let count = shown.unicodeScalars.count
            guard count > state.shownMasked else { return nil }
            let fresh = (state.shownMasked, String(String.UnicodeScalarView(shown.unicodeScalars.dropFirst(state.shownMasked))))
            state.shownMasked = count
            return fresh
        }
        if let forward {
            hub.broadcast(.botDelta(conversationID: conversationID, streamID: id, offset: forward.offset, delta: forward.text),
                          conversationID: conversationID)
            relay.shown(offset: forward.offset, text: forward.text)
        }
    }

    /// `text` without an end that could be the start of `handoffMarker`.
    static func withoutMarkerStart(_ text: String) -> String {
        let marker = Array(handoffMarker.unicodeScalars)
        let scalars = Array(text.unicodeScalars.suffix(marker.count - 1))
        for length in stride(from: min(marker.count - 1, scalars.count), to: 0, by: -1)
        where scalars.suffix(length).elementsEqual(marker.prefix(length)) {
            return String(String.UnicodeScalarView(text.unicodeScalars.dropLast(length)))
        }
        return text
    }

    /// Tells the sockets that what they were shown of this answer is gone.
    func withdraw(reason: String) {
        guard hasShown else { return }
        hub.broadcast(.botWithdrawn(conversationID: conversationID, streamID: id, reason: reason), conversationID: conversationID)
        relay.withdraw(reason: reason)
    }

    /// Returns once the other nodes have been sent all that was shown here: the stored answer
    /// is announced after its pieces, so no node shows a piece after the answer it belongs to.
    func relayed() async {
        await relay.finish()
    }
}

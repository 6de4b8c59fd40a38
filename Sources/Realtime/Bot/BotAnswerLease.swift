import Foundation
import Tenancy

/// Which node writes a conversation's bot answer: one at a time across every node (a visitor with
/// tabs on two nodes, or two nodes behind a balancer, must not get two answers written at once).
/// The holder renews its lease while it writes and looks for questions asked meanwhile on other
/// nodes before it lets go; a node that finds the lease held waits for it to end, so the question
/// is answered even if the holder dies (its lease runs out).
struct BotAnswerLease: Sendable {
    enum Claim: Equatable {
        case held
        /// Another node holds it until then.
        case heldElsewhere(until: Date)
        /// The bot no longer holds the conversation.
        case notWithBot
    }

    /// Long enough to outlive a renewal missed under load, short enough that a dead node's
    /// conversation waits little.
    static let duration: Duration = .seconds(30)
    static let renewEvery: Duration = .seconds(10)

    let database: Database
    let nodeID: String

    /// Takes (or renews) the lease on `conversationID` for this node.
    func claim(_ conversationID: UUID, tenantID: UUID) async throws -> Claim {
        try await database.withTenant(tenantID) { tx in try await Self.claim(conversationID, for: nodeID, in: tx) }
    }

    /// The same in a transaction the caller has open (the first read of an answer's context).
    static func claim(_ conversationID: UUID, for nodeID: String, in tx: TenantTransaction) async throws -> Claim {
        let seconds = Double(duration.wholeMilliseconds) / 1000
        for try await (held, until) in try await tx.query("""
            WITH claimed AS (
                UPDATE conversations SET bot_lease_node = \(nodeID), bot_lease_until = now() + make_interval(secs => \(seconds))
                WHERE id = \(conversationID) AND status = 'bot'
                  AND (bot_lease_until IS NULL OR bot_lease_until < now() OR bot_lease_node = \(nodeID))
                RETURNING id)
            SELECT EXISTS (SELECT 1 FROM claimed), c.bot_lease_until
            FROM conversations c WHERE c.id = \(conversationID) AND c.status = 'bot'
            """).decode((Bool, Date?).self) {
            // Not claimed: another node's lease has not run out (this statement's snapshot
            // shows the row as it was before the update).
            return held ? .held : .heldElsewhere(until: until ?? Date())
        }
        return .notWithBot
    }

    /// Lets go of the lease (if this node still holds it).
    func release(_ conversationID: UUID, tenantID: UUID) async throws {
        try await database.withTenant(tenantID) { tx in
            try await tx.query("""
                UPDATE conversations SET bot_lease_node = NULL, bot_lease_until = NULL
                WHERE id = \(conversationID) AND bot_lease_node = \(nodeID)
                """)
        }
    }

    /// Whether the bot holds the conversation and its visitor's latest text has no answer yet
    /// (asked on another node while this one held the lease).
    func hasUnansweredQuestion(_ conversationID: UUID, tenantID: UUID) async throws -> Bool {
        try await database.withTenant(tenantID) { tx in
            for try await unanswered in try await tx.query("""
                SELECT c.status = 'bot' AND (
                    SELECT m.sender_type FROM messages m
                    WHERE m.conversation_id = c.id AND m.kind = 'text' AND m.sender_type IN ('visitor', 'bot')
                    ORDER BY m.seq DESC LIMIT 1) = 'visitor'
                FROM conversations c WHERE c.id = \(conversationID)
                """).decode(Bool?.self) {
                return unanswered ?? false
            }
            return false
        }
    }
}

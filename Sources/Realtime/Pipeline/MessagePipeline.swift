import Foundation
import Logging

/// What a handler of the message pipeline may change about a message.
public struct MessageChanges: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The text to be stored and delivered (masking, translation).
    public static let text = MessageChanges(rawValue: 1 << 0)
    /// What is recorded beside the message for review (a flag).
    public static let review = MessageChanges(rawValue: 1 << 1)
}

/// A message on its way to the writer, as the pipeline's handlers see it.
public struct MessageDraft: Sendable, Equatable {
    public let tenantID: UUID
    public let senderType: Message.SenderType
    public var text: String
    /// Set when a rule asks for the message to be reviewed; written with the message.
    public var flag: WordFlag?

    public init(tenantID: UUID, senderType: Message.SenderType, text: String, flag: WordFlag? = nil) {
        self.tenantID = tenantID
        self.senderType = senderType
        self.text = text
        self.flag = flag
    }
}

/// One step of the pipeline. A handler refuses a message by throwing (nothing is stored), and
/// may change only what `changes` declares.
public protocol MessageHandler: Sendable {
    /// Names the handler in logs.
    var name: String { get }
    var changes: MessageChanges { get }
    func handle(_ draft: inout MessageDraft) async throws
}

/// The ordered handlers every message from a visitor, an agent or the bot passes before it is
/// queued for the writer: sensitive words today; FAQ, the bot and routing plug in after them
/// without touching the sockets or the REST routes, which only call `process`.
///
/// A handler's declared `changes` are enforced: anything else it changed is put back (and
/// logged), so a handler added later cannot quietly rewrite what it was not meant to.
public struct MessagePipeline: Sendable {
    public let handlers: [any MessageHandler]
    let logger: Logger

    public init(handlers: [any MessageHandler], logger: Logger) {
        self.handlers = handlers
        self.logger = logger
    }

    /// The draft as every handler left it; throws the first refusal.
    public func process(_ draft: MessageDraft) async throws -> MessageDraft {
        var draft = draft
        for handler in handlers {
            let before = draft
            try await handler.handle(&draft)
            if draft.text != before.text, !handler.changes.contains(.text) {
                logger.error("message handler changed the text without declaring it", metadata: ["handler": "\(handler.name)"])
                draft.text = before.text
            }
            if draft.flag != before.flag, !handler.changes.contains(.review) {
                logger.error("message handler changed the review flag without declaring it", metadata: ["handler": "\(handler.name)"])
                draft.flag = before.flag
            }
        }
        return draft
    }
}

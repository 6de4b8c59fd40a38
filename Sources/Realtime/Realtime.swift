/// Realtime owns live conversations: the visitor and agent WebSocket hub, conversations and
/// messages, delivery with acknowledgement after commit and resume by sequence number,
/// presence, routing and assignment, cross-node fan-out, and the bot pipeline.
///
/// It must never acknowledge a message before it is committed, and never let a socket's
/// outbound queue grow without bound.
public enum Realtime {}

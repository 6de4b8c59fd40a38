/**
 * The workspace store's typing indicators and read positions: what the agent sends (typing,
 * read up to) and what the socket reports of others. Typing that is never cleared expires after
 * a few seconds, because a closed tab or a lost socket sends no "stopped". Installed on `Store`
 * by store.js; views call these through the store, never by importing this module.
 */
import { upper } from "./directory.js";

const typingTimeout = 8000;

export const typingReadMethods = {
  setTyping(conversationId, typing, note = false) {
    if (!this.welcomed) return;
    const frame = { type: "typing", conversationId: upper(conversationId), typing: !!typing };
    if (note) frame.note = true;
    this.socket.send(frame);
  },

  onTyping(frame) {
    const id = upper(frame.conversationId);
    const senderKey = `${frame.senderType}:${upper(frame.senderId ?? "")}`;
    let senders = this.typingState.get(id);
    if (!senders) {
      senders = new Map();
      this.typingState.set(id, senders);
    }
    const known = senders.get(senderKey);
    if (known) clearTimeout(known.timer);
    if (frame.typing === false) {
      senders.delete(senderKey);
    } else {
      senders.set(senderKey, {
        senderType: frame.senderType,
        senderId: upper(frame.senderId),
        timer: setTimeout(() => {
          senders.delete(senderKey);
          this.emit("typing", { conversationId: id });
        }, typingTimeout),
      });
    }
    this.emit("typing", { conversationId: id });
  },

  clearTyping(id, senderType) {
    const senders = this.typingState.get(id);
    if (!senders) return;
    let changed = false;
    for (const [key, value] of senders) {
      if (senderType && value.senderType !== senderType) continue;
      clearTimeout(value.timer);
      senders.delete(key);
      changed = true;
    }
    if (changed) this.emit("typing", { conversationId: id });
  },

  /** Who is typing in a conversation: [{senderType, senderId}]. */
  typers(id) {
    return [...(this.typingState.get(upper(id))?.values() ?? [])];
  },

  markRead(conversationId) {
    const id = upper(conversationId);
    const conversation = this.conversations.get(id);
    const thread = this.threads.get(id);
    const seq = Math.max(thread?.maxSeq ?? 0, 0);
    if (!conversation || !seq || seq <= (conversation.agentReadSeq ?? 0)) return;
    if (!this.welcomed) return;
    this.socket.send({ type: "read", conversationId: id, seq });
    conversation.agentReadSeq = seq;
    conversation.unread = this.unreadAfter(id, conversation, seq);
    this.emit("conversation", { conversation, previous: conversation });
  },

  /**
   * What the agents have not read once their read position is `seq`: the visitor's messages after
   * it (events, notes and replies are not unread, as the server counts), counted in the loaded
   * thread when it holds them all, else the count known so far, at most the seqs left.
   */
  unreadAfter(id, conversation, seq) {
    const last = conversation.lastSeq ?? 0;
    if (seq >= last) return 0;
    const counted = this.threads.get(id)?.visitorMessagesAfter(seq, last);
    return counted ?? Math.min(conversation.unread ?? 0, last - seq);
  },

  onRead(frame) {
    const id = upper(frame.conversationId);
    const conversation = this.conversations.get(id);
    if (!conversation) return;
    if (frame.side === "visitor") conversation.visitorReadSeq = Math.max(conversation.visitorReadSeq ?? 0, frame.seq);
    else conversation.agentReadSeq = Math.max(conversation.agentReadSeq ?? 0, frame.seq);
    conversation.unread = this.unreadAfter(id, conversation, conversation.agentReadSeq ?? 0);
    this.emit("read", { conversationId: id, side: frame.side });
    this.emit("conversation", { conversation, previous: conversation });
  },
};

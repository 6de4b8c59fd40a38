/**
 * The widget store's side of the visitor protocol (docs/protocol.md): every frame the server sends
 * (welcome, conversation, messages, history, acks, typing, read positions, the bot's stream,
 * errors) turned into `store.state` and a "change" event. Installed on `VisitorStore` by store.js;
 * the panel reaches these only through the store.
 */
const RETRYABLE = new Set(["rate-limited", "overloaded", "unavailable", "shutting-down"]);

export const frameMethods = {
  onFrame(frame) {
    switch (frame.type) {
      case "welcome": return this.onWelcome(frame);
      case "visitor": return this.onVisitor(frame);
      case "conversation": return this.onConversation(frame.conversation);
      case "message": return this.onMessage(frame.message, true);
      case "history": return this.onHistory(frame);
      case "ack": return this.onAck(frame);
      case "queue":
        if (frame.conversationId === this.state.conversation?.id) {
          this.state.queuePosition = frame.position;
          this.changed("queue");
        }
        return;
      case "typing":
        if (frame.senderType !== "visitor") this.setTyping(frame.typing);
        return;
      case "read": return this.onRead(frame);
      case "stream": return this.onStream(frame);
      case "streamWithdrawn":
        if (this.state.stream?.id === frame.streamId) {
          this.state.stream = null;
          this.changed("stream");
        }
        return;
      case "ok": return this.settle(frame.ref, true, frame);
      case "error": return this.onError(frame);
      default:
    }
  },

  onWelcome(frame) {
    const state = this.state;
    const firstWelcome = !this.welcomedOnce;
    this.welcomedOnce = true;
    state.welcomed = true;
    this.welcomedAt = Date.now();
    // The visitor this socket is: a new token, else the one the hello sent (none: no row yet).
    this.sessionToken = frame.token || this.helloToken || null;
    if (frame.token) this.store("token", frame.token);
    if (state.visitorId && state.visitorId !== frame.visitorId) this.reset();
    state.visitorId = frame.visitorId;
    state.widget = { ...state.widget, ...frame.widget };
    this.helloProfile = null;
    state.stream = null; // an answer cut by the reconnect arrives whole, from history
    const conversation = frame.conversation;
    const dismissed = this.load("dismissed");
    if (conversation && conversation.id !== dismissed) {
      if (state.conversation && state.conversation.id !== conversation.id) this.clearConversation();
      this.applyConversation(conversation);
      if (firstWelcome || !state.messages.length) this.send_({ type: "history", limit: 50, ref: this.ref("history") });
    } else if (conversation) {
      state.fresh = true; // the visitor already chose to start anew
    }
    if (this.helloCallback) {
      this.helloCallback({});
      this.helloCallback = null;
    }
    this.changed("welcome");
    this.flush();
  },

  onVisitor(frame) {
    if (frame.token) {
      this.sessionToken = frame.token;
      this.store("token", frame.token);
    }
    if (this.state.visitorId && frame.visitorId !== this.state.visitorId) {
      this.reset();
      this.send_({ type: "history", limit: 50, ref: this.ref("history") });
    }
    this.state.visitorId = frame.visitorId;
    this.changed("visitor");
  },

  onConversation(conversation) {
    if (!conversation) return;
    const current = this.state.conversation;
    if (conversation.id === this.load("dismissed")) return;
    if (current && current.id !== conversation.id) {
      if (new Date(conversation.createdAt) < new Date(current.createdAt)) return;
      this.clearConversation();
    }
    this.applyConversation(conversation);
    this.changed("conversation");
  },

  applyConversation(conversation) {
    const state = this.state;
    state.conversation = { ...state.conversation, ...conversation };
    if (conversation.status !== "resolved") state.fresh = false;
    // Taken over or handed over: no half answer stays on screen (the stored one comes as a message).
    if (conversation.status !== "bot") state.stream = null;
    if (conversation.status !== "queued") state.queuePosition = null;
    state.agentReadSeq = Math.max(state.agentReadSeq, conversation.agentReadSeq ?? 0);
    state.visitorReadSeq = Math.max(state.visitorReadSeq, conversation.visitorReadSeq ?? 0);
    if (conversation.status === "resolved") state.typing = null;
  },

  onStream(frame) {
    const state = this.state;
    if (state.conversation && frame.conversationId !== state.conversation.id) return;
    // Shown only from its start and only while no piece is missed (`offset` counts the scalars
    // sent before this one): a stream joined midway (after a reconnect) waits for the stored answer.
    const held = state.stream?.id === frame.streamId ? state.stream : { id: frame.streamId, text: "", scalars: 0 };
    if ((frame.offset ?? held.scalars) !== held.scalars) {
      if (state.stream?.id === frame.streamId) { state.stream = null; this.changed("stream"); }
      return;
    }
    state.stream = { id: frame.streamId, text: held.text + frame.delta, scalars: held.scalars + [...frame.delta].length };
    state.typing = null;
    this.changed("stream");
  },

  onMessage(message, live) {
    if (!message || message.kind === "note") return false;
    const state = this.state;
    // The bot's stored answer replaces what was streamed of it.
    if (message.senderType === "bot" && state.stream && message.clientId === state.stream.id) state.stream = null;
    if (message.conversationId === this.load("dismissed")) return false;
    if (state.conversation && message.conversationId !== state.conversation.id) return false;
    const list = state.messages;
    const at = list.findIndex((m) => m.seq >= message.seq);
    if (at >= 0 && list[at].seq === message.seq) return false;
    if (at < 0) list.push(message); else list.splice(at, 0, message);
    if (message.clientId && message.senderType === "visitor") this.outbox.remove(message.clientId);
    if (message.senderType !== "visitor") state.typing = null;
    if (list.at(-1) === message) this.store("seq", message.seq);
    if (live) {
      this.changed("messages");
      if (message.senderType === "agent" || message.senderType === "bot") {
        this.dispatchEvent(new CustomEvent("message", { detail: message }));
      }
    }
    return true;
  },

  onHistory(frame) {
    const state = this.state;
    const messages = frame.messages || [];
    for (const message of messages) this.onMessage(message, false);
    if (frame.ref?.startsWith("older")) state.loadingOlder = false;
    const first = state.messages[0];
    state.hasOlder = !!first && first.seq > 1 && messages.length >= 50;
    this.changed("history");
  },

  onAck(frame) {
    const item = this.outbox.get(frame.clientId);
    if (frame.duplicate && !this.state.messages.some((m) => m.seq === frame.seq)) {
      // Stored before, by another tab of this browser: this socket follows the conversation from
      // after it, so it comes as no message. Read it; the item shows until it is in the thread.
      this.send_({ type: "history", limit: 50, ref: this.ref("history") });
      return;
    }
    if (item) this.outbox.remove(frame.clientId);
    if (item?.fresh) this.state.fresh = false;
    if (frame.conversationId === this.load("dismissed")) {
      // An older server reopened the conversation the visitor had closed: show it again.
      this.store("dismissed", null);
      this.send_({ type: "history", limit: 50, ref: this.ref("history") });
    }
  },

  onRead(frame) {
    const state = this.state;
    if (state.conversation && frame.conversationId !== state.conversation.id) return;
    if (frame.side === "agent") state.agentReadSeq = Math.max(state.agentReadSeq, frame.seq);
    else state.visitorReadSeq = Math.max(state.visitorReadSeq, frame.seq);
    this.changed("read");
  },

  onError(frame) {
    const ref = frame.ref || "";
    if (ref === "hello") {
      if (frame.code === "forbidden") this.identity = null;
      if (frame.code === "visitor-not-found") this.store("token", null);
      setTimeout(() => this.hello(), 1000);
      return;
    }
    if (ref.startsWith("send:")) {
      const clientId = ref.slice(5);
      if (RETRYABLE.has(frame.code)) {
        setTimeout(() => this.resend(clientId), frame.retryAfterMs || 1500);
      } else {
        this.outbox.update(clientId, { state: "failed", error: frame.code });
      }
      return;
    }
    if (ref.startsWith("profile") && frame.code === "invalid-frame") {
      // A server without the `profile` frame: carry the profile in a new hello instead.
      const waiting = this.pending.get(ref);
      this.helloProfile = waiting?.profile ?? null;
      this.pending.delete(ref);
      if (this.helloProfile) {
        const { resolve } = waiting;
        this.helloCallback = resolve;
        this.socket.reconnect();
        return;
      }
    }
    if (ref.startsWith("history")) this.state.loadingOlder = false;
    this.settle(ref, false, frame);
  },

  setTyping(on) {
    clearTimeout(this.agentTypingTimer);
    const name = this.state.conversation?.assigneeName || null;
    this.state.typing = on ? { name } : null;
    if (on) this.agentTypingTimer = setTimeout(() => this.setTyping(false), 8000);
    this.changed("typing");
  },
};

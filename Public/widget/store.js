/**
 * The visitor's chat state and socket: one store per mounted panel (widget or chat page).
 * It owns the visitor token (localStorage `kefu:<key>:token`), the outbox, the current
 * conversation and its messages, and turns visitor frames (docs/protocol.md) into state (the
 * frame handlers are in store-frames.js).
 * Views call its methods and re-render on its "change" event; it never touches the DOM.
 *
 *   const store = new VisitorStore({key, origin, language})
 *   store.state        see `initialState` below
 *   store.start()      open the socket (idempotent)
 *   store.send(text), store.retry(clientId), store.discard(clientId), store.typing(bool)
 *   store.submitProfile(profile) → Promise, store.identify({userId, hash, …}),
 *   store.rate(rating, comment) → Promise, store.startNew(), store.loadOlder(), store.markRead()
 *   store.askForPerson() → Promise   ("talk to a human" while the bot holds the conversation)
 *   events: "change" (detail: what changed), "message" (a live message from the team)
 */
import { ReconnectingSocket } from "../shared/socket.js";
import { Outbox, newClientId } from "../shared/outbox.js";
import { frameMethods } from "./store-frames.js";
import { Tabs } from "./tabs.js";

const ADOPT_AFTER_MS = 5000; // without Web Locks: how long a tab leaves another tab's message to it

function initialState() {
  return {
    connection: "connecting", // connecting | open | reconnecting
    welcomed: false,
    visitorId: null,
    widget: {},
    conversation: null,
    messages: [], // sorted by seq, no notes
    hasOlder: false,
    loadingOlder: false,
    queuePosition: null,
    typing: null, // {name} while an agent types
    agentReadSeq: 0,
    visitorReadSeq: 0,
    profileDone: false,
    offlineEmail: null,
    fresh: false, // the visitor chose "start a new conversation"
    stream: null, // {id, text}: the bot's answer as it is being written
  };
}

export class VisitorStore extends EventTarget {
  constructor({ key, origin, language }) {
    super();
    this.key = key;
    this.origin = origin;
    this.language = language;
    this.prefix = `kefu:${key}:`;
    this.state = initialState();
    this.state.profileDone = this.load("profile") === "1";
    this.state.offlineEmail = this.load("offlineEmail");
    this.outbox = new Outbox(this.prefix + "outbox");
    this.outbox.addEventListener("change", () => this.changed("outbox"));
    // Every tab of this browser is one visitor: the tabs share the token and the outbox.
    this.tabs = new Tabs(this.prefix);
    this.sessionToken = null; // the token this tab's socket speaks as (null: no visitor row yet)
    addEventListener("storage", (event) => {
      if (event.key !== this.prefix + "token" || !event.newValue || event.newValue === this.sessionToken) return;
      // Another tab became the visitor (its first message made the row): this tab joins it.
      if (this.state.welcomed) this.socket.reconnect();
    });
    this.pending = new Map(); // ref → {resolve, reject, kind}
    this.refs = 0;
    this.identity = null;
    this.helloProfile = null; // profile to send in hello when the server lacks the `profile` frame
    this.typingTimer = 0;
    this.lastTypingSent = 0;
    const wsOrigin = origin.replace(/^http/, "ws");
    this.socket = new ReconnectingSocket(() => `${wsOrigin}/ws/visitor?key=${encodeURIComponent(key)}`);
    this.socket.addEventListener("open", () => this.hello());
    this.socket.addEventListener("frame", (event) => this.onFrame(event.detail));
    this.socket.addEventListener("close", () => {
      this.state.welcomed = false;
      this.state.typing = null;
      for (const { reject } of this.pending.values()) reject(new Error("closed"));
      this.pending.clear();
    });
    this.socket.addEventListener("state", (event) => {
      const s = event.detail;
      this.state.connection = s === "open" ? "open" : this.everOpen ? "reconnecting" : "connecting";
      if (s === "open") this.everOpen = true;
      this.changed("connection");
    });
  }

  // ---- storage -------------------------------------------------------------------------
  load(name) {
    try { return localStorage.getItem(this.prefix + name); } catch { return null; }
  }

  store(name, value) {
    try {
      if (value === null || value === undefined) localStorage.removeItem(this.prefix + name);
      else localStorage.setItem(this.prefix + name, String(value));
    } catch { /* memory only */ }
  }

  get token() { return this.load("token"); }

  // ---- lifecycle -----------------------------------------------------------------------
  start() { this.socket.connect(); }

  stop() { this.socket.close(); }

  changed(what) { this.dispatchEvent(new CustomEvent("change", { detail: what })); }

  ref(kind) {
    this.refs += 1;
    return `${kind}${this.refs}`;
  }

  request(frame) {
    return new Promise((resolve, reject) => {
      if (!this.state.welcomed) return reject(new Error("offline"));
      const ref = this.ref(frame.type);
      this.pending.set(ref, { resolve, reject, kind: frame.type });
      if (!this.socket.send({ ...frame, ref })) {
        this.pending.delete(ref);
        reject(new Error("offline"));
      }
    });
  }

  hello() {
    const frame = { type: "hello", v: 1, ref: "hello", language: this.language,
      page: { url: location.href.slice(0, 2048), referrer: document.referrer.slice(0, 2048) } };
    const token = this.token;
    if (token) frame.token = token;
    this.helloToken = token || null;
    const lastSeq = this.lastSeq();
    if (token && lastSeq > 0) frame.lastSeq = lastSeq;
    if (this.identity) frame.identity = this.identity;
    if (this.helloProfile) frame.profile = this.helloProfile;
    this.socket.send(frame);
  }

  lastSeq() {
    const seen = this.state.messages.at(-1)?.seq ?? 0;
    return Math.max(seen, this.state.messages.length ? 0 : Number(this.load("seq")) || 0);
  }

  settle(ref, ok, frame) {
    const waiting = this.pending.get(ref);
    if (!waiting) return;
    this.pending.delete(ref);
    if (ok) waiting.resolve(frame); else waiting.reject(Object.assign(new Error(frame.message), { code: frame.code }));
  }

  // ---- conversation state --------------------------------------------------------------
  reset() {
    this.clearConversation();
    this.store("seq", null);
  }

  clearConversation() {
    const state = this.state;
    state.conversation = null;
    state.messages = [];
    state.hasOlder = false;
    state.queuePosition = null;
    state.agentReadSeq = 0;
    state.visitorReadSeq = 0;
  }

  // ---- actions -------------------------------------------------------------------------
  send_(frame) { return this.state.welcomed && this.socket.send(frame); }

  send(text) {
    const trimmed = text.trim();
    if (!trimmed) return;
    const item = this.outbox.add({ clientId: newClientId(), text: trimmed, fresh: this.state.fresh || undefined, tab: this.tabs.id });
    this.resend(item.clientId);
    this.typing(false);
  }

  resend(clientId) {
    const item = this.outbox.get(clientId);
    if (!item || !this.state.welcomed) return;
    const frame = { type: "send", clientId, text: item.text, ref: `send:${clientId}` };
    // Ask for a new conversation only while the current one is still the resolved one.
    if (item.fresh && (!this.state.conversation || this.state.conversation.status === "resolved")) frame.newConversation = true;
    if (this.socket.send(frame)) {
      clearTimeout(this.ackTimer);
      this.ackTimer = setTimeout(() => { if (this.outbox.list((i) => i.state === "sending").length) this.socket.probe(); }, 10000);
    }
  }

  /** Resends what the outbox holds, after each welcome. A message another tab wrote is left to
   * that tab while it is open and this one is not yet the same visitor (two visitors would store
   * it twice); it is sent from here once the tabs are one visitor or that tab has closed. */
  async flush() {
    const items = this.outbox.list((i) => i.state === "sending");
    const shared = !!this.sessionToken && this.sessionToken === this.token;
    const others = items.some((item) => item.tab && item.tab !== this.tabs.id);
    const open = others && !shared ? await this.tabs.open() : null;
    let waiting = false;
    for (const item of items) {
      const theirs = item.tab && item.tab !== this.tabs.id && !shared;
      const gone = open ? !open.has(item.tab) : Date.now() - (this.welcomedAt || 0) >= ADOPT_AFTER_MS;
      if (!theirs || gone) this.resend(item.clientId); else waiting = true;
    }
    clearTimeout(this.adoptTimer);
    if (waiting) this.adoptTimer = setTimeout(() => { if (this.state.welcomed) this.flush(); }, open ? 2000 : ADOPT_AFTER_MS);
  }

  retry(clientId) {
    this.outbox.update(clientId, { state: "sending", error: undefined });
    this.resend(clientId);
  }

  discard(clientId) { this.outbox.remove(clientId); }

  typing(on) {
    clearTimeout(this.typingTimer);
    if (!this.state.conversation || this.state.conversation.status === "resolved") return;
    const now = Date.now();
    if (on) {
      if (now - this.lastTypingSent > 2500) {
        this.lastTypingSent = now;
        this.send_({ type: "typing", typing: true });
      }
      this.typingTimer = setTimeout(() => this.typing(false), 4000);
    } else if (this.lastTypingSent) {
      this.lastTypingSent = 0;
      this.send_({ type: "typing", typing: false });
    }
  }

  /** Sends the pre-chat or offline form's answers; resolves once stored. */
  submitProfile(profile) {
    const frame = { type: "profile", profile };
    if (this.identity) frame.identity = this.identity;
    return new Promise((resolve, reject) => {
      if (!this.state.welcomed) return reject(new Error("offline"));
      const ref = this.ref("profile");
      this.pending.set(ref, { resolve, reject, kind: "profile", profile });
      this.socket.send({ ...frame, ref });
    }).then((result) => {
      this.state.profileDone = true;
      this.store("profile", "1");
      this.changed("profile");
      return result;
    });
  }

  identify(identity) {
    if (identity.userId && identity.hash) this.identity = { userId: String(identity.userId), hash: String(identity.hash) };
    const profile = {};
    for (const field of ["name", "email", "phone"]) if (identity[field]) profile[field] = String(identity[field]);
    if (identity.attributes && typeof identity.attributes === "object") profile.attributes = identity.attributes;
    if (!this.state.welcomed) {
      if (Object.keys(profile).length) this.helloProfile = { ...this.helloProfile, ...profile };
      return;
    }
    const frame = { type: "profile", ref: this.ref("profile") };
    if (Object.keys(profile).length) frame.profile = profile;
    if (this.identity) frame.identity = this.identity;
    this.socket.send(frame);
  }

  /** "Talk to a human": the bot hands the conversation to people. */
  askForPerson() {
    return this.request({ type: "handoff" });
  }

  rate(rating, comment) {
    const frame = { type: "rate", rating };
    if (comment) frame.comment = comment.slice(0, 1000);
    return this.request(frame);
  }

  startNew() {
    const state = this.state;
    if (state.conversation) this.store("dismissed", state.conversation.id);
    this.clearConversation();
    state.fresh = true;
    this.store("seq", null);
    this.changed("conversation");
  }

  loadOlder() {
    const state = this.state;
    const first = state.messages[0];
    if (!first || state.loadingOlder || !state.hasOlder) return;
    state.loadingOlder = true;
    this.send_({ type: "history", beforeSeq: first.seq, limit: 50, ref: this.ref("older") });
    this.changed("history");
  }

  /** Marks everything shown as read (call while the panel is open and the tab visible). */
  markRead() {
    const state = this.state;
    const last = state.messages.at(-1);
    if (!last || last.seq <= state.visitorReadSeq || !state.welcomed) return;
    if (this.send_({ type: "read", seq: last.seq })) state.visitorReadSeq = last.seq;
    this.changed("read");
  }

  unreadCount() {
    const state = this.state;
    return state.messages.filter((m) => m.seq > state.visitorReadSeq && (m.senderType === "agent" || m.senderType === "bot")).length;
  }

  remember(name, value) { this.store(name, value); }
}

// The frame handlers (store-frames.js) are kept in their own file for size; they share this
// class's state, so they join its prototype.
Object.assign(VisitorStore.prototype, frameMethods);

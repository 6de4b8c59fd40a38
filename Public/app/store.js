/**
 * The workspace store: the agent socket and the state the views show — conversations, loaded
 * threads, previews, typing, read positions, presence, the outbox — and the commands that change
 * them. Views read from it and listen to its events; they never talk to the socket themselves.
 *
 * Events (CustomEvent.detail):
 *   "connection" {state, attempt}   socket state: connecting | open | waiting | closed
 *   "welcome"    {}                 a (re)connected socket got its welcome; lists should refresh
 *   "bulk"       {}                 many "conversation" events just came at once (store.bulk was
 *                                   true while they did): apply them as one change
 *   "conversation" {conversation, previous}  latest state of one conversation
 *   "message"    {conversationId, message, live}  a new message in a loaded thread or a preview
 *   "thread"     {conversationId}   a thread changed in bulk (history page, resume)
 *   "preview"    {conversationId}   a list preview changed
 *   "typing"     {conversationId}
 *   "read"       {conversationId, side}
 *   "outbox"     {conversationId}   unsent messages or uploads changed
 *   "presence"   {presence}
 *   "select"     {id}
 *   "notice"     {text, tone}       a short message for the person (action failed, …)
 *
 * Threads and previews are in store-threads.js, typing and read positions in
 * store-typing-read.js; both are methods of this class, and other modules import only this file.
 *
 * Never renders anything and never parses text as HTML.
 */
import { ReconnectingSocket } from "../shared/socket.js";
import { ApiError, get, post } from "./api.js";
import { Directory, upper } from "./directory.js";
import { Outgoing } from "./outgoing.js";
import { visitorName } from "./names.js";
import { threadMethods } from "./store-threads.js";
import { streamMethods } from "./store-streams.js";
import { typingReadMethods } from "./store-typing-read.js";

export class Store extends EventTarget {
  constructor(me) {
    super();
    this.me = me;
    this.userId = upper(me.user.id);
    this.permissions = new Set(me.permissions ?? []);
    this.directory = new Directory();
    this.directory.agents.set(this.userId, { id: this.userId, displayName: me.user.displayName, teamIds: me.user.teamIds ?? [] });
    this.conversations = new Map();
    this.liveClock = 0;                // counts live conversation frames (see upsert's asOf)
    this.liveAt = new Map();           // id → liveClock at its last live frame
    this.threads = new Map();          // id → Thread, most recently used last
    this.previews = new Map();         // id → {seq, message} | {seq, message: null}
    this.previewQueue = [];
    this.previewPending = new Set();
    this.previewActive = 0;
    this.typingState = new Map();      // id → Map(senderKey → {senderType, senderId, timer})
    this.streams = new Map();          // id → the bot's answer being written {id, text, scalars}
    this.followed = new Set();         // threads this socket should follow (resumed after a reconnect)
    this.queueFollowed = new Set();    // queued conversations followed for live previews and unread counts
    this.followWanted = new Map();     // id → afterSeq, sent together by the next flushFollow
    this.resumeSupported = undefined;
    this.pending = new Map();          // ref → {resolve, reject, timer}
    this.refCounter = 0;
    this.selectedId = null;
    this.capacity = me.user.maxConcurrentChats ?? 5;
    this.presence = loadPresence(this.userId);
    this.connection = "connecting";
    this.welcomed = false;
    this.outgoing = new Outgoing(this);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.socket = new ReconnectingSocket(`${scheme}//${location.host}/ws/agent`, { minDelay: 600, maxDelay: 20000 });
    this.socket.addEventListener("state", (event) => this.onState(event.detail));
    this.socket.addEventListener("frame", (event) => this.onFrame(event.detail));
    this.socket.addEventListener("close", () => this.onClose());
  }

  can(permission) {
    return this.permissions.has(permission);
  }

  start() {
    this.socket.connect();
    this.directory.loadAgents().catch(() => {});
    this.directory.loadTeams();
    if (this.can("widgets.manage")) this.directory.loadWidgets(); else this.directory.widgetsAvailable = false;
  }

  stop() {
    this.outgoing.dispose();
    this.socket.close();
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new ApiError(0, { code: "closed" }));
    }
    this.pending.clear();
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  notice(text, tone = "error") {
    this.emit("notice", { text, tone });
  }

  // ---------- socket ----------

  onState(state) {
    this.connection = state;
    this.emit("connection", { state, attempt: this.socket.attempt });
  }

  onClose() {
    this.welcomed = false;
    this.queueFollowed.clear();
    this.followWanted.clear();
    this.outgoing.inflight.clear();
    for (const [ref, { reject, timer }] of this.pending) {
      clearTimeout(timer);
      reject(new ApiError(0, { code: "offline" }));
      this.pending.delete(ref);
    }
    for (const id of this.typingState.keys()) this.clearTyping(id);
    // An answer cut by the reconnect arrives whole, as its stored message.
    for (const id of [...this.streams.keys()]) this.dropStream(id);
    // An upgrade refused for a session that ended looks like any failed connection: ask the API,
    // whose 401 takes the app back to the sign-in.
    if (this.socket.attempt >= 2 && Date.now() - (this.sessionCheckedAt ?? 0) > 30000) {
      this.sessionCheckedAt = Date.now();
      get("/api/v1/me").catch(() => {});
    }
  }

  /** Sends a frame with a ref and resolves with its answer (ok, history, ack) or rejects on error. */
  request(frame, timeout = 12000) {
    this.refCounter += 1;
    const ref = `r${this.refCounter}`;
    return new Promise((resolve, reject) => {
      if (!this.welcomed || !this.socket.send({ ...frame, ref })) {
        reject(new ApiError(0, { code: "offline" }));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new ApiError(0, { code: "timeout" }));
      }, timeout);
      this.pending.set(ref, { resolve, reject, timer });
    });
  }

  settle(frame) {
    const waiter = frame.ref && this.pending.get(frame.ref);
    if (!waiter) return false;
    this.pending.delete(frame.ref);
    clearTimeout(waiter.timer);
    if (frame.type === "error") waiter.reject(new ApiError(0, { code: frame.code, detail: frame.message }, frame.retryAfterMs));
    else waiter.resolve(frame);
    return true;
  }

  onFrame(frame) {
    switch (frame.type) {
      case "welcome": return this.onWelcome(frame);
      case "conversation": return this.upsert(frame.conversation, { live: true });
      case "message": return this.onMessage(frame.message, true);
      case "ack": return this.outgoing.onAck(frame);
      case "typing": return this.onTyping(frame);
      case "read": return this.onRead(frame);
      case "stream": return this.onStream(frame);
      case "streamWithdrawn": return this.onStreamWithdrawn(frame);
      case "error":
        if (frame.ref?.startsWith("s:")) return this.outgoing.onSendError(frame);
        return this.settle(frame);
      default:
        return this.settle(frame);
    }
  }

  async onWelcome(frame) {
    const reconnect = this.everWelcomed === true;
    this.everWelcomed = true;
    this.welcomed = true;
    this.capacity = frame.capacity ?? this.capacity;
    if (frame.permissions) this.permissions = new Set(frame.permissions);
    // Hundreds of conversations may come at once: lists take them as one change ("bulk").
    this.bulk = true;
    try {
      for (const conversation of frame.conversations ?? []) this.upsert(conversation);
      for (const conversation of frame.queue ?? []) this.upsert(conversation, { follow: true });
    } finally {
      this.bulk = false;
    }
    this.emit("bulk");
    this.emit("welcome", { reconnect });
    if (this.presence !== "online") this.setPresence(this.presence, { quiet: true });
    else this.emit("presence", { presence: this.presence });
    await this.resumeFollowed();
    this.outgoing.flush();
  }

  /**
   * After a (re)connect: every thread this tab shows resumes from its last seq, and the queue is
   * followed again (for live previews), all in one `resume` frame.
   */
  async resumeFollowed() {
    for (const id of this.followed) {
      const thread = this.threads.get(id);
      if (thread?.loaded) this.followWanted.set(id, thread.maxSeq);
    }
    await this.flushFollow();
  }

  /** Follows a queued conversation the agent may see, so its messages update the list live. */
  followQueued(conversation) {
    if (!this.welcomed || !this.can("conversations.read")) return;
    const id = conversation.id;
    if (conversation.status === "queued") {
      if (this.queueFollowed.has(id) || this.followWanted.has(id)) return;
      this.queueFollowed.add(id);
      this.followWanted.set(id, conversation.lastSeq ?? 0);
      clearTimeout(this.followTimer);
      this.followTimer = setTimeout(() => this.flushFollow(), 80);
    } else if (this.queueFollowed.delete(id) && !this.followed.has(id) && !this.isMine(conversation)) {
      this.socket.send({ type: "unsubscribe", conversationId: id });
    }
  }

  /**
   * Sends the wanted follows as one `resume` (replays after each seq, answered once all are
   * sent). A server without `resume` gets paced `subscribe`s instead: at most 64 frames may wait
   * on a socket, and a burst over that would be refused.
   */
  async flushFollow() {
    clearTimeout(this.followTimer);
    if (!this.welcomed || !this.followWanted.size) return;
    const wanted = [...this.followWanted];
    this.followWanted.clear();
    const conversations = Object.fromEntries(wanted);
    if (this.resumeSupported !== false) {
      try {
        // At most 500 conversations per resume frame.
        for (let start = 0; start < wanted.length; start += 500) {
          const answer = await this.request({ type: "resume", conversations: Object.fromEntries(wanted.slice(start, start + 500)) }, 30000);
          for (const id of answer.notFound ?? []) {
            this.queueFollowed.delete(upper(id));
            this.followed.delete(upper(id));
          }
        }
        this.resumeSupported = true;
        return;
      } catch (error) {
        if (error.code !== "invalid-frame") return;
        this.resumeSupported = false;
      }
    }
    let sent = 0;
    for (const [conversationId, afterSeq] of Object.entries(conversations)) {
      if (!this.welcomed) return;
      this.socket.send({ type: "subscribe", conversationId, afterSeq });
      sent += 1;
      if (sent % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  // ---------- conversations ----------

  conversation(id) {
    return this.conversations.get(upper(id));
  }

  /**
   * Takes the server's latest state of a conversation (a frame or a REST answer). A REST answer
   * passes `asOf` (the `liveClock` when it was requested): a live frame that came in since is as
   * new or newer (a reopen's answer says "queued" while the socket already said "assigned"), so
   * the answer is dropped; frames come in order, so the action's own frame is never missed.
   */
  upsert(incoming, { live = false, follow = live, asOf } = {}) {
    if (!incoming?.id) return undefined;
    const id = upper(incoming.id);
    const previous = this.conversations.get(id);
    if (asOf !== undefined && previous && (this.liveAt.get(id) ?? -1) > asOf) return previous;
    if (live) this.liveAt.set(id, ++this.liveClock);
    const conversation = { ...incoming, id };
    const frameLastSeq = conversation.lastSeq ?? 0;
    const frameReadSeq = conversation.agentReadSeq ?? 0;
    if (conversation.assigneeId) conversation.assigneeId = upper(conversation.assigneeId);
    if (conversation.teamId) conversation.teamId = upper(conversation.teamId);
    if (conversation.visitorId) conversation.visitorId = upper(conversation.visitorId);
    if (conversation.widgetId) conversation.widgetId = upper(conversation.widgetId);
    if (previous) {
      // A conversation frame's lastSeq can lag the messages already received; read positions
      // only move forward.
      conversation.lastSeq = Math.max(previous.lastSeq ?? 0, conversation.lastSeq ?? 0);
      conversation.agentReadSeq = Math.max(previous.agentReadSeq ?? 0, conversation.agentReadSeq ?? 0);
      conversation.visitorReadSeq = Math.max(previous.visitorReadSeq ?? 0, conversation.visitorReadSeq ?? 0);
      if (!conversation.lastMessageAt || (previous.lastMessageAt && previous.lastMessageAt > conversation.lastMessageAt)) {
        conversation.lastMessageAt = previous.lastMessageAt ?? conversation.lastMessageAt;
      }
    }
    // The answer's unread count holds for its own positions; where this store knows more (later
    // messages, or a read the answer predates) it counts again from what it knows.
    conversation.unread = Math.max(0, conversation.unread ?? 0);
    if (previous && (conversation.lastSeq > frameLastSeq || conversation.agentReadSeq > frameReadSeq)) {
      const known = conversation.lastSeq > frameLastSeq ? (previous.unread ?? 0) : conversation.unread;
      conversation.unread = this.unreadAfter(id, { ...conversation, unread: known }, conversation.agentReadSeq);
    }
    if (conversation.assigneeName) this.directory.noteAgent(conversation.assigneeId, conversation.assigneeName);
    // A live change may be the visitor's own (a profile they sent): a visitor shown or being read
    // is read again (one small request; changes are rare next to messages).
    if (live && previous && this.directory.visitorWanted(conversation.visitorId)) this.directory.fetchVisitor(conversation.visitorId);
    this.conversations.set(id, conversation);
    if (conversation.status !== "bot") this.dropStream(id);
    if (follow || this.queueFollowed.has(id)) this.followQueued(conversation);
    this.emit("conversation", { conversation, previous, live });
    return conversation;
  }

  /** Whether `conversation` is the caller's own (assigned to them). */
  isMine(conversation) {
    return !!conversation && conversation.assigneeId === this.userId;
  }

  /** Conversations counted against the caller's capacity. */
  activeCount() {
    let count = 0;
    for (const conversation of this.conversations.values()) {
      if (conversation.assigneeId === this.userId && ["open", "pending", "snoozed"].includes(conversation.status)) count += 1;
    }
    return count;
  }

  /** The visitor's display name for a conversation (loads the visitor if needed). */
  displayVisitorName(conversationId) {
    const conversation = this.conversations.get(upper(conversationId));
    if (!conversation) return visitorName(null, "");
    return visitorName(this.directory.visitor(conversation.visitorId), conversation.visitorId);
  }

  select(id) {
    const key = id ? upper(id) : null;
    if (key === this.selectedId) return;
    this.selectedId = key;
    this.emit("select", { id: key });
  }

  // ---------- sending (see outgoing.js) ----------

  sendText(conversationId, text, note = false) { return this.outgoing.sendText(conversationId, text, note); }
  sendFile(conversationId, file) { return this.outgoing.sendFile(conversationId, file); }
  retry(clientId) { return this.outgoing.retry(clientId); }
  discard(clientId) { return this.outgoing.discard(clientId); }
  unsent(conversationId) { return this.outgoing.unsent(conversationId); }

  // ---------- actions (REST: they work while the socket reconnects, and answer with the state) ----------

  async act(conversationId, action, body = {}) {
    const id = upper(conversationId);
    const asOf = this.liveClock;
    const answer = await post(`/api/v1/conversations/${id}/${action}`, body);
    if (answer?.id) this.upsert(answer, { asOf });
    return answer;
  }

  accept(id) { return this.act(id, "accept"); }
  resolve(id) { return this.act(id, "resolve"); }
  reopen(id) { return this.act(id, "reopen"); }
  setStatus(id, status, until) { return this.act(id, "status", until ? { status, until } : { status }); }
  assignAgent(id, agentId) { return this.act(id, "assign", { agentId }); }
  assignTeam(id, teamId) { return this.act(id, "assign", { teamId }); }

  /** Sets presence (online | away | offline) and remembers it for the next connection. */
  async setPresence(presence, { quiet = false } = {}) {
    const before = this.presence;
    this.presence = presence;
    savePresence(this.userId, presence);
    this.emit("presence", { presence });
    if (!this.welcomed) return;
    try {
      await this.request({ type: "presence", status: presence });
    } catch (error) {
      if (presence === "offline" && error.code === "invalid-frame") {
        // A server without "offline" presence: the closest it offers is away.
        this.presence = "away";
        savePresence(this.userId, "away");
        this.emit("presence", { presence: "away" });
        if (!quiet) this.notice(error.message);
        return;
      }
      if (error.code === "offline") return;
      this.presence = before;
      this.emit("presence", { presence: before });
      if (!quiet) this.notice(error.message);
    }
  }

  async signOut() {
    try { await post("/api/v1/auth/logout"); } catch { /* the session may be gone already */ }
    this.stop();
  }
}

// Threads and previews (store-threads.js), typing and read positions (store-typing-read.js) are
// kept in their own files for size; they share this class's state, so they join its prototype.
Object.assign(Store.prototype, threadMethods, typingReadMethods, streamMethods);

function loadPresence(userId) {
  try {
    const value = localStorage.getItem(`kefu:app:${userId}:presence`);
    return ["online", "away", "offline"].includes(value) ? value : "online";
  } catch {
    return "online";
  }
}

function savePresence(userId, presence) {
  try { localStorage.setItem(`kefu:app:${userId}:presence`, presence); } catch { /* storage blocked */ }
}

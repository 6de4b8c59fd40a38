/**
 * The workspace store's threads and list previews: messages arriving from the socket, the loaded
 * threads (newest page first, older pages on demand, the least recently used dropped), and the
 * newest message each list row previews. Installed on `Store` by store.js; views call these
 * through the store, never by importing this module.
 */
import { get } from "./api.js";
import { upper } from "./directory.js";
import { isUnreadForAgents, Thread } from "./thread.js";

const historyPage = 50;
const keptThreads = 24;

export const threadMethods = {
  /** Reads a conversation this tab does not know yet (once at a time), then shows it live. */
  loadUnlisted(id) {
    this.unlistedPending ??= new Set();
    if (this.unlistedPending.has(id)) return;
    this.unlistedPending.add(id);
    get(`/api/v1/conversations/${id}`)
      .then((conversation) => { if (!this.conversations.has(id)) this.upsert(conversation, { live: true, follow: false }); })
      .catch(() => {})
      .finally(() => this.unlistedPending.delete(id));
  },

  // ---------- messages ----------

  thread(id) {
    return this.threads.get(upper(id));
  },

  onMessage(message, live) {
    if (!message?.conversationId) return;
    const id = upper(message.conversationId);
    message.conversationId = id;
    if (message.senderName && message.senderType !== "visitor") this.directory.noteAgent(message.senderId, message.senderName);
    const thread = this.threads.get(id);
    let added = true;
    if (thread) {
      if (thread.loaded && message.seq > thread.maxSeq + 1 && thread.size) this.fillGap(id, thread.maxSeq);
      added = thread.add(message);
    }
    if (message.clientId && message.senderType === "agent" && upper(message.senderId) === this.userId) this.outgoing.delivered(message);
    // The bot's stored answer replaces what was streamed of it.
    if (message.senderType === "bot" && message.clientId) this.dropStream(id, message.clientId);
    const conversation = this.conversations.get(id);
    // One of the agent's own conversations the welcome did not list (it lists the 200 most
    // recently active): read it now that it is active, so lists and counts have it.
    if (!conversation && live) this.loadUnlisted(id);
    if (conversation && message.seq > (conversation.lastSeq ?? 0)) {
      conversation.lastSeq = message.seq;
      conversation.lastMessageAt = message.createdAt;
      if (message.senderType === "agent" && upper(message.senderId) === this.userId && message.kind !== "event") {
        conversation.agentReadSeq = Math.max(conversation.agentReadSeq ?? 0, message.seq);
      }
      const read = conversation.agentReadSeq ?? 0;
      if (read >= message.seq) conversation.unread = 0;
      else if (isUnreadForAgents(message)) conversation.unread = (conversation.unread ?? 0) + 1;
      this.emit("conversation", { conversation, previous: conversation });
    }
    if (message.senderType === "visitor") this.clearTyping(id, "visitor");
    const preview = this.previews.get(id);
    if (!preview || message.seq >= preview.seq) {
      if (message.kind !== "event" || !preview?.message) {
        this.previews.set(id, { seq: message.seq, message });
        this.emit("preview", { conversationId: id });
      } else {
        preview.seq = message.seq;
      }
    }
    if (added) this.emit("message", { conversationId: id, message, live });
  },

  async fillGap(id, afterSeq) {
    try {
      const page = await get(`/api/v1/conversations/${id}/messages`, { after: afterSeq, limit: 200 });
      const thread = this.threads.get(id);
      if (thread && thread.addMany(page.items ?? []).length) this.emit("thread", { conversationId: id });
    } catch { /* the next resume fills it */ }
  },

  /**
   * Loads a conversation's newest page (REST, so it works while the socket reconnects) and makes
   * the socket follow it from there. Keeps the last few threads in memory; older ones are dropped
   * (and unsubscribed unless they are the caller's own).
   */
  async openThread(id) {
    const key = upper(id);
    let thread = this.threads.get(key);
    if (thread) {
      this.threads.delete(key);
      this.threads.set(key, thread);
    } else {
      thread = new Thread(key);
      this.threads.set(key, thread);
      this.evictThreads();
    }
    this.followed.add(key);
    if (!this.conversations.has(key)) {
      const asOf = this.liveClock;
      this.upsert(await get(`/api/v1/conversations/${key}`), { asOf });
    }
    if (!thread.loaded) {
      const page = await get(`/api/v1/conversations/${key}/messages`, { limit: historyPage });
      const items = page.items ?? [];
      thread.addMany(items);
      thread.loaded = true;
      thread.hasMore = items.length >= historyPage && (items[0]?.seq ?? 1) > 1;
      this.emit("thread", { conversationId: key });
    }
    if (this.welcomed) this.socket.send({ type: "subscribe", conversationId: key, afterSeq: thread.maxSeq });
    return thread;
  },

  evictThreads() {
    while (this.threads.size > keptThreads) {
      const [oldest] = this.threads.keys();
      if (oldest === this.selectedId) break;
      this.threads.delete(oldest);
      this.followed.delete(oldest);
      const conversation = this.conversations.get(oldest);
      if (this.welcomed && !this.isMine(conversation)) this.socket.send({ type: "unsubscribe", conversationId: oldest });
    }
  },

  /** One older page of a loaded thread; resolves to the messages added. */
  loadEarlier(id) {
    const key = upper(id);
    const thread = this.threads.get(key);
    if (!thread || !thread.hasMore) return Promise.resolve([]);
    if (thread.loadingEarlier) return thread.loadingEarlier;
    thread.loadingEarlier = (async () => {
      try {
        const page = await get(`/api/v1/conversations/${key}/messages`, { before: thread.minSeq, limit: historyPage });
        const items = page.items ?? [];
        if (items.length < historyPage || (items[0]?.seq ?? 1) <= 1) thread.hasMore = false;
        return thread.addMany(items);
      } finally {
        thread.loadingEarlier = null;
      }
    })();
    return thread.loadingEarlier;
  },

  // ---------- previews ----------

  /** The newest message to preview in the list, loading it if it is missing or stale. */
  preview(id) {
    const key = upper(id);
    const known = this.previews.get(key);
    const conversation = this.conversations.get(key);
    const stale = conversation && (!known || (conversation.lastSeq ?? 0) > known.seq);
    if (stale && !this.previewPending.has(key)) {
      this.previewPending.add(key);
      this.previewQueue.push(key);
      this.pumpPreviews();
    }
    return known?.message ?? null;
  },

  pumpPreviews() {
    while (this.previewActive < 3 && this.previewQueue.length) {
      const key = this.previewQueue.shift();
      this.previewActive += 1;
      get(`/api/v1/conversations/${key}/messages`, { limit: 6 })
        .then((page) => {
          const items = page.items ?? [];
          const last = items[items.length - 1];
          const shown = [...items].reverse().find((message) => message.kind !== "event") ?? last ?? null;
          const conversation = this.conversations.get(key);
          const seq = Math.max(last?.seq ?? 0, conversation?.lastSeq ?? 0);
          const known = this.previews.get(key);
          if (!known || seq >= known.seq) {
            this.previews.set(key, { seq, message: shown });
            this.emit("preview", { conversationId: key });
          }
        })
        .catch(() => {
          this.previews.set(key, { seq: Number.MAX_SAFE_INTEGER, message: null });
        })
        .finally(() => {
          this.previewActive -= 1;
          this.previewPending.delete(key);
          this.pumpPreviews();
        });
    }
  },
};

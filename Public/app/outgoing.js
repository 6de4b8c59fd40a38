/**
 * Outgoing: what the agent sends — replies and notes through the shared outbox (kept in
 * localStorage until their ack, resent with the same clientId after every reconnect, and when an
 * open socket leaves a send unanswered for 15 s), and files uploaded over HTTP with progress,
 * retried with the same clientId after network failures (kept in memory: files cannot go to
 * localStorage). Owned by the store, which hands it acks, send errors and its own messages.
 */
import { Outbox, newClientId } from "../shared/outbox.js";
import { upload } from "./api.js";
import { upper } from "./directory.js";

const retriedCodes = new Set(["overloaded", "unavailable", "rate-limited", "shutting-down", "timeout", "offline"]);

export class Outgoing {
  constructor(store) {
    this.store = store;
    this.inflight = new Map();   // clientId → time sent on the current socket
    this.uploads = new Map();    // clientId → in-memory upload
    this.box = new Outbox(`kefu:app:${store.userId}:outbox`);
    this.box.addEventListener("change", () => store.emit("outbox", {}));
    this.timer = setInterval(() => this.resendStale(), 5000);
  }

  dispose() {
    clearInterval(this.timer);
  }

  /** A message of the agent's own arrived: its outbox entry or upload is done. */
  delivered(message) {
    if (this.box.get(message.clientId)) this.box.remove(message.clientId);
    if (this.uploads.delete(message.clientId)) this.store.emit("outbox", { conversationId: message.conversationId });
  }

  /** Queues a reply or note; it stays in the outbox (localStorage) until acknowledged. */
  sendText(conversationId, text, note = false) {
    const item = this.box.add({ conversationId: upper(conversationId), text, note: !!note, userId: this.store.userId });
    this.store.emit("outbox", { conversationId: item.conversationId });
    this.transmit(item);
    return item;
  }

  transmit(item) {
    if (!this.store.welcomed) return;
    const frame = { type: "send", conversationId: item.conversationId, clientId: item.clientId, text: item.text, ref: `s:${item.clientId}` };
    if (item.note) frame.note = true;
    if (this.store.socket.send(frame)) {
      this.inflight.set(item.clientId, Date.now());
      this.store.followed.add(item.conversationId);
    }
  }

  flush() {
    for (const item of this.box.list((entry) => entry.state === "sending" && (!entry.userId || entry.userId === this.store.userId))) this.transmit(item);
    for (const upload of this.uploads.values()) if (upload.state === "waiting") this.startUpload(upload);
  }

  /** Sends that got no answer on an open socket within 15 s are sent again (same clientId). */
  resendStale() {
    const now = Date.now();
    for (const [clientId, sentAt] of this.inflight) {
      if (now - sentAt < 15000) continue;
      const item = this.box.get(clientId);
      this.inflight.delete(clientId);
      if (item?.state === "sending") this.transmit(item);
    }
  }

  onAck(frame) {
    this.store.settle(frame);
    const clientId = frame.clientId;
    this.inflight.delete(clientId);
    const item = this.box.get(clientId);
    if (!item) return;
    this.box.remove(clientId);
    const id = upper(frame.conversationId ?? item.conversationId);
    const thread = this.store.threads.get(id);
    // The message frame normally comes too; if it was a duplicate it does not, so fetch it.
    if (thread && !thread.bySeq.has(frame.seq)) {
      setTimeout(() => {
        if (!thread.bySeq.has(frame.seq)) this.store.fillGap(id, Math.max(0, frame.seq - 1));
      }, 800);
    }
    this.store.emit("outbox", { conversationId: id });
  }

  onSendError(frame) {
    const clientId = frame.ref.slice(2);
    this.inflight.delete(clientId);
    const item = this.box.get(clientId);
    if (!item) return;
    if (retriedCodes.has(frame.code)) {
      setTimeout(() => {
        const current = this.box.get(clientId);
        if (current?.state === "sending") this.transmit(current);
      }, Math.max(300, frame.retryAfterMs ?? 1000 + Math.random() * 1000));
      return;
    }
    this.box.update(clientId, { state: "failed", error: frame.code, detail: frame.message, category: frame.category });
  }

  retry(clientId) {
    const item = this.box.update(clientId, { state: "sending", error: undefined, detail: undefined });
    if (item) return this.transmit(item);
    const upload = this.uploads.get(clientId);
    if (upload) this.startUpload(upload);
  }

  discard(clientId) {
    const item = this.box.get(clientId);
    if (item) this.box.remove(clientId);
    const upload = this.uploads.get(clientId);
    if (upload) {
      upload.abort?.abort();
      this.uploads.delete(clientId);
      this.store.emit("outbox", { conversationId: upload.conversationId });
    }
  }

  /** Items of a conversation not yet acknowledged: text (outbox) and files (uploads), oldest first. */
  unsent(conversationId) {
    const id = upper(conversationId);
    const texts = this.box.list((item) => item.conversationId === id && (!item.userId || item.userId === this.store.userId));
    const files = [...this.uploads.values()].filter((upload) => upload.conversationId === id);
    return [...texts, ...files].sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  }

  /** Uploads a file as a reply; retried with the same clientId after network failures. */
  sendFile(conversationId, file) {
    const item = {
      clientId: newClientId(),
      conversationId: upper(conversationId),
      file,
      name: file.name || "file",
      size: file.size,
      contentType: file.type,
      createdAt: new Date().toISOString(),
      kind: "file",
      progress: 0,
      state: "uploading",
      attempts: 0,
    };
    this.uploads.set(item.clientId, item);
    this.startUpload(item);
    return item;
  }

  async startUpload(item) {
    item.state = "uploading";
    item.progress = 0;
    item.attempts += 1;
    item.abort = new AbortController();
    this.store.emit("outbox", { conversationId: item.conversationId });
    try {
      const message = await upload(`/api/v1/conversations/${item.conversationId}/attachments`,
        { name: item.name, clientId: item.clientId }, item.file, {
          signal: item.abort.signal,
          onProgress: (fraction) => {
            item.progress = fraction;
            this.store.emit("outbox", { conversationId: item.conversationId, progress: true });
          },
        });
      this.uploads.delete(item.clientId);
      if (message?.seq) this.store.onMessage(message, false);
      this.store.emit("outbox", { conversationId: item.conversationId });
    } catch (error) {
      if (error?.name === "AbortError" || !this.uploads.has(item.clientId)) return;
      if ((error.status === 0 || error.status >= 500 || error.status === 429) && item.attempts < 6) {
        item.state = "waiting";
        this.store.emit("outbox", { conversationId: item.conversationId });
        setTimeout(() => { if (this.uploads.get(item.clientId) === item && item.state === "waiting") this.startUpload(item); }, 1000 * 2 ** item.attempts);
        return;
      }
      item.state = "failed";
      item.error = error.code;
      item.detail = error.problem?.detail;
      this.store.emit("outbox", { conversationId: item.conversationId });
    }
  }
}

/**
 * Outbox — messages typed but not yet acknowledged, kept in localStorage so that nothing typed
 * is lost to a closed socket, a reload or a crash. Shared by the widget and the agent workspace;
 * the API below is stable (additions only).
 *
 *   const box = new Outbox(storageKey)        e.g. "kefu:<widgetKey>:outbox"
 *   box.add(item)             → the stored item. item: {clientId?, text, …any JSON}; gets
 *                               clientId (if missing), createdAt (ISO) and state "sending"
 *   box.list(filter?)         → items, oldest first (filter: item => boolean)
 *   box.get(clientId)         → item or undefined
 *   box.update(clientId, patch) → merges patch (e.g. {state: "failed", error: "too-large"})
 *   box.remove(clientId)      call on the item's ack (or when the user discards it)
 *   box.addEventListener("change", …)  after every change, also changes made by another tab
 *   newClientId()             → a fresh random id (UUID when the browser has one)
 *
 * Resend every item whose state is "sending" with its same clientId after each reconnect: the
 * server stores a clientId once, so a resend of something already stored is harmless.
 * Storage failures (private mode, quota) degrade to memory only; nothing throws.
 */
export class Outbox extends EventTarget {
  constructor(storageKey) {
    super();
    this.key = storageKey;
    this.items = this.load();
    addEventListener("storage", (event) => {
      if (event.key !== this.key) return;
      this.items = this.load();
      this.dispatchEvent(new Event("change"));
    });
  }

  load() {
    try {
      const items = JSON.parse(localStorage.getItem(this.key) || "[]");
      return Array.isArray(items) ? items.filter((item) => item && typeof item.clientId === "string") : [];
    } catch {
      return [];
    }
  }

  save() {
    try {
      if (this.items.length) localStorage.setItem(this.key, JSON.stringify(this.items));
      else localStorage.removeItem(this.key);
    } catch { /* memory only */ }
    this.dispatchEvent(new Event("change"));
  }

  add(item) {
    const stored = { clientId: newClientId(), createdAt: new Date().toISOString(), ...item, state: "sending" };
    this.items = this.items.filter((other) => other.clientId !== stored.clientId);
    this.items.push(stored);
    this.save();
    return stored;
  }

  list(filter) {
    return filter ? this.items.filter(filter) : this.items.slice();
  }

  get(clientId) {
    return this.items.find((item) => item.clientId === clientId);
  }

  update(clientId, patch) {
    const item = this.get(clientId);
    if (!item) return undefined;
    Object.assign(item, patch);
    this.save();
    return item;
  }

  remove(clientId) {
    const before = this.items.length;
    this.items = this.items.filter((item) => item.clientId !== clientId);
    if (this.items.length !== before) this.save();
  }
}

export function newClientId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

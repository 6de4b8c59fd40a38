/**
 * Tabs — which tabs of this browser that show the chat are still open, so that a message left
 * in the shared outbox (localStorage) by one tab is sent by that tab and not also by another.
 *
 * That matters only while the visitor has no row yet (an anonymous hello gets none until the
 * first send): two tabs sending the same message then speak as two visitors, so the server's
 * clientId deduplication, which works within one conversation, cannot see the second copy.
 *
 *   const tabs = new Tabs(prefix)     this tab joins (holds a Web Lock until it closes)
 *   tabs.id                           this tab's id, to stamp on the outbox items it writes
 *   await tabs.open()                 → Set of the ids of the tabs still open, or null when the
 *                                       browser cannot tell (no Web Locks: insecure page)
 */
export class Tabs {
  constructor(prefix) {
    this.name = `${prefix}tab:`;
    this.id = globalThis.crypto?.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
    try {
      // Held until the page goes away; a closed or reloaded tab releases it by itself.
      navigator.locks?.request(this.name + this.id, () => new Promise(() => {})).catch(() => {});
    } catch { /* no Web Locks */ }
  }

  async open() {
    if (!navigator.locks?.query) return null;
    try {
      const { held = [] } = await navigator.locks.query();
      return new Set(held.map((lock) => lock.name).filter((name) => name?.startsWith(this.name)).map((name) => name.slice(this.name.length)));
    } catch {
      return null;
    }
  }
}

/**
 * Notifier: while the tab is hidden, new conversations (in the queue, or assigned to this agent)
 * and new visitor messages in the agent's conversations raise a desktop notification (once the
 * agent allowed them) and a short chime made with Web Audio (no sound file). Clicking a
 * notification focuses the tab and opens the conversation. Notification text is plain text.
 */
import { t } from "./strings.js";
import { playChime } from "../shared/chime.js";

const dismissKey = "kefu:app:notify-dismissed";

export class Notifier {
  constructor(store, { open }) {
    this.store = store;
    this.open = open;
    this.audio = null;
    this.lastChime = 0;
    this.onConversation = (event) => this.conversationChanged(event.detail);
    this.onMessage = (event) => this.messageArrived(event.detail);
    this.unlock = () => this.ensureAudio();
    store.addEventListener("conversation", this.onConversation);
    store.addEventListener("message", this.onMessage);
    // Browsers allow audio only after a user gesture: create the context on the first one.
    addEventListener("pointerdown", this.unlock, { once: true });
    addEventListener("keydown", this.unlock, { once: true });
  }

  dispose() {
    this.store.removeEventListener("conversation", this.onConversation);
    this.store.removeEventListener("message", this.onMessage);
    removeEventListener("pointerdown", this.unlock);
    removeEventListener("keydown", this.unlock);
    this.audio?.close?.();
  }

  /** Whether to offer the "turn on notifications" prompt. */
  get shouldAsk() {
    if (!("Notification" in window) || Notification.permission !== "default") return false;
    try { return !localStorage.getItem(dismissKey); } catch { return true; }
  }

  async ask() {
    if (!("Notification" in window)) return "denied";
    this.ensureAudio();
    return Notification.requestPermission();
  }

  dismiss() {
    try { localStorage.setItem(dismissKey, "1"); } catch { /* storage blocked */ }
  }

  hidden() {
    return document.visibilityState === "hidden" || !document.hasFocus();
  }

  conversationChanged({ conversation, previous, live }) {
    if (!live || !this.hidden()) return;
    const store = this.store;
    const newlyQueued = conversation.status === "queued" && previous?.status !== "queued" && store.can("conversations.read");
    const newlyMine = store.isMine(conversation) && !store.isMine(previous) && conversation.status === "open";
    if (!newlyQueued && !newlyMine) return;
    this.chime();
    this.visitorName(conversation.id).then((name) => this.notify(conversation.id, t("notify.newConversation"), name));
  }

  messageArrived({ conversationId, message, live }) {
    if (!live || message.senderType !== "visitor" || !this.hidden()) return;
    const conversation = this.store.conversation(conversationId);
    if (!this.store.isMine(conversation) && conversation?.status !== "queued") return;
    let body = String(message.text ?? "");
    if (message.kind === "attachment") {
      try { body = t("preview.attachment", { name: JSON.parse(message.text).name ?? "" }); } catch { body = t("preview.attachment", { name: "" }); }
    }
    this.chime();
    this.visitorName(conversationId).then((name) => this.notify(conversationId, t("notify.newMessage", { name }), body.slice(0, 160)));
  }

  /** The visitor's name for a notification. A visitor new to this tab is read first (at most two
   * seconds), so the notification names them rather than saying "Visitor 1A2B". */
  async visitorName(conversationId) {
    const visitorId = this.store.conversation(conversationId)?.visitorId;
    const directory = this.store.directory;
    if (visitorId && !directory.visitor(visitorId, { load: false })) {
      await Promise.race([directory.fetchVisitor(visitorId), new Promise((done) => { setTimeout(done, 2000); })]);
    }
    return this.store.displayVisitorName(conversationId);
  }

  notify(conversationId, title, body) {
    // The visitor's name may take a moment to read: an agent back on the tab meanwhile sees it there.
    if (!("Notification" in window) || Notification.permission !== "granted" || !this.hidden()) return;
    try {
      const notification = new Notification(title, { body, tag: `kefu-${conversationId}`, icon: "/app/icon.svg", silent: true });
      notification.onclick = () => {
        window.focus();
        this.open(conversationId);
        notification.close();
      };
    } catch { /* some platforms allow notifications only from a service worker */ }
  }

  ensureAudio() {
    if (this.audio) return this.audio;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    try { this.audio = new Context(); } catch { this.audio = null; }
    return this.audio;
  }

  /** Two soft rising tones, about a quarter of a second; at most one every two seconds. */
  chime() {
    const now = Date.now();
    if (now - this.lastChime < 2000) return;
    this.lastChime = now;
    playChime(this.ensureAudio(), 0.18);
  }
}

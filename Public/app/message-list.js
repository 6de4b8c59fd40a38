/**
 * <kefu-message-list>: the messages of the open conversation. Inserts each new message where
 * its seq belongs (live frames, resume replays and history pages in any order, each once), keeps
 * the view pinned to the bottom while the agent is there, loads older pages when scrolled to the
 * top (keeping the reading position), shows unsent items from the outbox, the visitor's read
 * position (double checks) and who is typing, and announces new visitor messages in a live
 * region. Marks the conversation read while it is visible at the bottom.
 */
import { h, replace } from "./dom.js";
import { icon } from "./icons.js";
import { markSeen, renderMessage, renderStreaming, renderUnsent } from "./message-view.js";
import { t } from "./strings.js";

const groupWindowMs = 5 * 60 * 1000;

class MessageList extends HTMLElement {
  constructor() {
    super();
    this.nodes = new Map();   // seq → <li>
    this.listeners = [];
    this.pinned = true;
    this.unseenBelow = 0;
  }

  connectedCallback() {
    const store = this.store;
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.listeners.push(() => target.removeEventListener(type, fn));
    };
    on(store, "message", (event) => { if (event.detail.conversationId === this.conversationId) this.onMessage(event.detail); });
    on(store, "thread", (event) => { if (event.detail.conversationId === this.conversationId) this.syncThread(); });
    on(store, "outbox", (event) => { if (!event.detail.conversationId || event.detail.conversationId === this.conversationId) this.renderUnsent(); });
    on(store, "typing", (event) => { if (event.detail.conversationId === this.conversationId) this.renderTyping(); });
    on(store, "stream", (event) => { if (event.detail.conversationId === this.conversationId) this.renderStream(); });
    on(store, "read", (event) => { if (event.detail.conversationId === this.conversationId && event.detail.side === "visitor") this.renderSeen(); });
    on(store, "connection", () => this.renderUnsent());
    on(store.directory, "agents", () => this.rerender());
    on(store.directory, "teams", () => this.rerender());
    on(document, "visibilitychange", () => this.maybeMarkRead());
    on(window, "focus", () => this.maybeMarkRead());
    this.render();
  }

  disconnectedCallback() {
    for (const off of this.listeners) off();
    this.listeners = [];
    this.topObserver?.disconnect();
  }

  render() {
    this.topNode = h("div", { class: "history-top" });
    this.listNode = h("ol", { class: "msg-list" });
    this.streamNode = h("ol", { class: "msg-list msg-list-stream" });
    this.unsentNode = h("ol", { class: "msg-list msg-list-unsent" });
    this.typingNode = h("div", { class: "typing-line", hidden: true });
    this.liveNode = h("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
    this.jumpButton = h("button", { type: "button", class: "jump-latest", hidden: true, onclick: () => this.scrollToBottom(true) }, icon("arrowDown", 16), h("span", null, t("pane.jumpToLatest")));
    this.scroller = h("div", { class: "msg-scroll", tabindex: "0", role: "region", "aria-label": t("pane.messages"), onscroll: () => this.onScroll() },
      this.topNode, this.listNode, this.streamNode, this.unsentNode, this.typingNode);
    replace(this, this.scroller, this.jumpButton, this.liveNode);
    this.topObserver = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.loadEarlier();
    }, { root: this.scroller, rootMargin: "300px 0px 0px 0px" });
    this.topObserver.observe(this.topNode);
  }

  /** Shows a conversation (from its loaded thread). */
  show(conversationId, visitor) {
    this.conversationId = conversationId;
    this.visitor = visitor;
    this.nodes.clear();
    this.listNode.replaceChildren();
    this.pinned = true;
    this.unseenBelow = 0;
    this.jumpButton.hidden = true;
    this.syncThread();
    this.renderUnsent();
    this.renderStream();
    this.renderTyping();
    this.scrollToBottom(false);
  }

  /** The visitor's name changed (loaded late): re-render names and avatars. */
  setVisitor(visitor) {
    this.visitor = visitor;
    this.rerender();
  }

  context() {
    return {
      store: this.store,
      visitorName: this.visitorName(),
      visitorId: this.store.conversation(this.conversationId)?.visitorId,
      onImage: (file) => this.dispatchEvent(new CustomEvent("open-image", { bubbles: true, detail: file })),
    };
  }

  visitorName() {
    return this.store.displayVisitorName?.(this.conversationId) ?? "";
  }

  rerender() {
    if (!this.conversationId) return;
    const keepBottom = this.atBottom();
    const thread = this.store.thread(this.conversationId);
    if (!thread) return;
    const ctx = this.context();
    for (const [seq, node] of this.nodes) {
      const fresh = renderMessage(thread.get(seq), ctx);
      fresh.className = node.className;
      node.replaceWith(fresh);
      this.nodes.set(seq, fresh);
    }
    this.renderSeen();
    if (keepBottom) this.scrollToBottom(false);
  }

  /** Adds every message of the thread that is not on screen yet. */
  syncThread() {
    const thread = this.store.thread(this.conversationId);
    if (!thread) return;
    const missing = [];
    for (const message of thread.messages()) if (!this.nodes.has(message.seq)) missing.push(message);
    if (!missing.length) {
      this.renderTop();
      return;
    }
    const wasBottom = this.atBottom();
    const prepending = this.nodes.size && missing[missing.length - 1].seq < this.firstSeq();
    const before = this.scroller.scrollHeight;
    const beforeTop = this.scroller.scrollTop;
    for (const message of missing) this.insert(message);
    this.renderSeen();
    this.renderTop();
    if (prepending) this.scroller.scrollTop = beforeTop + (this.scroller.scrollHeight - before);
    else if (wasBottom || this.pinned) this.scrollToBottom(false);
  }

  firstSeq() {
    const first = this.listNode.firstElementChild;
    return first ? Number(first.dataset.seq) : Infinity;
  }

  insert(message) {
    const node = renderMessage(message, this.context());
    this.nodes.set(message.seq, node);
    // Usually appended: walk back from the end to the right place.
    let after = this.listNode.lastElementChild;
    while (after && Number(after.dataset.seq) > message.seq) after = after.previousElementSibling;
    if (after) after.after(node); else this.listNode.prepend(node);
    this.decorate(node);
    const next = node.nextElementSibling;
    if (next) this.decorate(next);
    return node;
  }

  /** Day separators and grouping, judged against the message before. */
  decorate(node) {
    const previous = node.previousElementSibling;
    const dayStart = !previous || previous.dataset.day !== node.dataset.day;
    node.classList.toggle("day-start", dayStart);
    const grouped = !dayStart && previous && previous.dataset.group === node.dataset.group && node.dataset.group !== "system"
      && Number(node.dataset.at) - Number(previous.dataset.at) < groupWindowMs;
    node.classList.toggle("msg-cont", !!grouped);
    if (previous) previous.classList.toggle("msg-has-next", !!grouped);
  }

  onMessage({ message, live }) {
    const wasBottom = this.atBottom();
    this.insert(message);
    this.renderSeen();
    this.renderUnsent();
    const mine = message.senderType === "agent" && String(message.senderId ?? "").toUpperCase() === this.store.userId;
    if (wasBottom || mine) {
      this.scrollToBottom(mine ? true : false);
    } else {
      this.unseenBelow += 1;
      this.jumpButton.hidden = false;
      this.jumpButton.querySelector("span").textContent = t("pane.newMessages");
    }
    if (live && message.senderType === "visitor") {
      const text = message.kind === "attachment" ? t("preview.attachment", { name: "" }) : String(message.text ?? "").slice(0, 200);
      this.liveNode.textContent = t("pane.newMessageFrom", { name: this.visitorName(), text });
    }
    this.maybeMarkRead();
  }

  renderSeen() {
    const conversation = this.store.conversation(this.conversationId);
    const readSeq = conversation?.visitorReadSeq ?? 0;
    for (const node of this.listNode.querySelectorAll(".msg-mine:not(.msg-note) .msg-status[data-status='sent']")) {
      const item = node.closest(".msg");
      if (Number(item.dataset.seq) <= readSeq) markSeen(item);
    }
  }

  renderUnsent() {
    if (!this.conversationId) return;
    const wasBottom = this.atBottom();
    const ctx = this.context();
    const thread = this.store.thread(this.conversationId);
    const items = this.store.unsent(this.conversationId).filter((item) => !thread?.hasClientId(item.clientId));
    replace(this.unsentNode, items.map((item) => renderUnsent(item, ctx)));
    if (wasBottom && items.length) this.scrollToBottom(false);
  }

  /** The bot's answer being written, under the stored messages. */
  renderStream() {
    if (!this.conversationId) return;
    const wasBottom = this.atBottom();
    const stream = this.store.streamOf(this.conversationId);
    replace(this.streamNode, stream ? renderStreaming(stream) : null);
    if (wasBottom && stream) this.scrollToBottom(false);
  }

  renderTyping() {
    const typers = this.store.typers(this.conversationId).filter((typer) => typer.senderId !== this.store.userId);
    if (!typers.length) {
      this.typingNode.hidden = true;
      return;
    }
    const wasBottom = this.atBottom();
    const typer = typers[0];
    const name = typer.senderType === "visitor" ? this.visitorName() : (this.store.directory.agentName(typer.senderId) ?? t("agent.unknown"));
    replace(this.typingNode,
      h("span", { class: "typing-dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
      h("span", null, typer.senderType === "visitor" ? t("pane.visitorTyping", { name }) : t("pane.agentTyping", { name })));
    this.typingNode.hidden = false;
    if (wasBottom) this.scrollToBottom(false);
  }

  renderTop() {
    const thread = this.store.thread(this.conversationId);
    if (!thread) return;
    if (thread.loadingEarlier) {
      replace(this.topNode, h("div", { class: "history-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("pane.loadingHistory")));
    } else if (thread.hasMore) {
      replace(this.topNode, h("button", { type: "button", class: "button button-small button-ghost history-more", onclick: () => this.loadEarlier() }, t("pane.loadEarlier")));
    } else if (thread.loaded) {
      replace(this.topNode, h("div", { class: "history-start" }, icon("message", 14), t("pane.start")));
    }
  }

  async loadEarlier() {
    const thread = this.store.thread(this.conversationId);
    if (!thread?.loaded || !thread.hasMore || thread.loadingEarlier) return;
    const id = this.conversationId;
    const promise = this.store.loadEarlier(id);
    this.renderTop();
    try {
      await promise;
      if (this.conversationId === id) this.syncThread();
    } catch {
      if (this.conversationId === id) replace(this.topNode, h("div", { class: "history-error", role: "alert" }, t("pane.historyError"), h("button", { type: "button", class: "link-button", onclick: () => this.loadEarlier() }, t("list.retry"))));
    }
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  scrollToBottom(smooth) {
    requestAnimationFrame(() => {
      this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: smooth ? "smooth" : "auto" });
      this.pinned = true;
      this.unseenBelow = 0;
      this.jumpButton.hidden = true;
      this.maybeMarkRead();
    });
  }

  onScroll() {
    const bottom = this.atBottom();
    this.pinned = bottom;
    if (bottom) {
      this.jumpButton.hidden = true;
      this.unseenBelow = 0;
      this.maybeMarkRead();
    } else if (this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight > 600) {
      if (this.jumpButton.hidden) {
        this.jumpButton.hidden = false;
        this.jumpButton.querySelector("span").textContent = t("pane.jumpToLatest");
      }
    }
  }

  maybeMarkRead() {
    if (!this.conversationId || document.visibilityState !== "visible" || !this.atBottom()) return;
    this.store.markRead(this.conversationId);
  }
}

customElements.define("kefu-message-list", MessageList);

/**
 * <kefu-chat-pane>: the open conversation — a header (visitor, state, actions, the visitor panel
 * toggle), the messages and the composer; files dropped anywhere on it are sent. Loads the thread
 * through the store, which makes the socket follow it. Fires "toggle-visitor" (bubbles).
 */
import { formatRelative } from "../shared/time.js";
import { h, replace } from "./dom.js";
import { imageDialog } from "./dialogs.js";
import { icon } from "./icons.js";
import { avatar } from "./names.js";
import { language, t } from "./strings.js";
import "./composer.js";
import "./conversation-actions.js";
import "./message-list.js";

class ChatPane extends HTMLElement {
  constructor() {
    super();
    this.listeners = [];
    this.conversationId = null;
    this.visitorOpen = true;
    this.dragDepth = 0;
  }

  connectedCallback() {
    const store = this.store;
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.listeners.push(() => target.removeEventListener(type, fn));
    };
    on(store, "conversation", (event) => {
      if (event.detail.conversation.id === this.conversationId) this.renderState();
    });
    on(store.directory, "visitor", () => this.renderHeader());
    on(store.directory, "agents", () => this.renderHeader());
    on(store.directory, "teams", () => this.renderHeader());
    on(store, "typing", (event) => { if (event.detail.conversationId === this.conversationId) this.renderHeader(); });
    this.addEventListener("open-image", (event) => imageDialog(event.detail));
    this.addEventListener("accepted", () => requestAnimationFrame(() => this.focusComposer()));
    this.addEventListener("dragenter", (event) => this.onDrag(event, 1));
    this.addEventListener("dragleave", (event) => this.onDrag(event, -1));
    this.addEventListener("dragover", (event) => { if (this.acceptsFiles(event)) event.preventDefault(); });
    this.addEventListener("drop", (event) => this.onDrop(event));
    this.clock = setInterval(() => this.renderHeader(), 60000);
    this.render();
    if (this.conversationId) this.open(this.conversationId, { force: true });
  }

  disconnectedCallback() {
    for (const off of this.listeners) off();
    this.listeners = [];
    clearInterval(this.clock);
  }

  render() {
    this.header = h("header", { class: "pane-header" });
    this.actions = h("kefu-conversation-actions");
    this.actions.store = this.store;
    this.messages = h("kefu-message-list");
    this.messages.store = this.store;
    this.composer = h("kefu-composer");
    this.composer.store = this.store;
    this.banner = h("div", { class: "pane-banner", hidden: true });
    this.dropZone = h("div", { class: "drop-zone", hidden: true, "aria-hidden": "true" }, icon("paperclip", 28), h("span", null, t("composer.dropHere")));
    this.body = h("div", { class: "pane-body", hidden: true }, this.header, this.messages, this.banner, this.composer, this.dropZone);
    this.empty = h("div", { class: "pane-empty" },
      h("div", { class: "pane-empty-art", "aria-hidden": "true" }, icon("message", 34)),
      h("h2", null, t("pane.empty.title")),
      h("p", null, t("pane.empty.body")),
      h("p", { class: "pane-empty-keys" }, h("kbd", null, "J"), h("kbd", null, "K"), h("span", null, "·"), h("kbd", null, "?")));
    this.loading = h("div", { class: "pane-loading", hidden: true, role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), h("span", null, t("app.loading")));
    this.failure = h("div", { class: "pane-empty", hidden: true, role: "alert" }, icon("alert", 28), h("p", null, t("pane.notFound")));
    this.section = h("section", { class: "pane", "aria-label": t("pane.empty.title") }, this.empty, this.loading, this.failure, this.body);
    replace(this, this.section);
  }

  set visitorPanelOpen(open) {
    this.visitorOpen = open;
    const button = this.querySelector(".pane-visitor-toggle");
    if (button) button.setAttribute("aria-pressed", String(open));
  }

  /** Opens a conversation (null shows the empty state). */
  async open(id, { force = false } = {}) {
    if (id === this.conversationId && !force) return;
    this.composer?.saveDraft?.();
    this.conversationId = id;
    if (!this.isConnected) return;
    this.failure.hidden = true;
    if (!id) {
      this.body.hidden = true;
      this.loading.hidden = true;
      this.empty.hidden = false;
      this.section.setAttribute("aria-label", t("pane.empty.title"));
      return;
    }
    this.empty.hidden = true;
    const thread = this.store.thread(id);
    if (!thread?.loaded) {
      this.body.hidden = true;
      this.loading.hidden = false;
    }
    try {
      await this.store.openThread(id);
    } catch {
      if (this.conversationId !== id) return;
      this.loading.hidden = true;
      this.failure.hidden = false;
      return;
    }
    if (this.conversationId !== id) return;
    this.loading.hidden = true;
    this.body.hidden = false;
    this.renderHeader();
    this.renderState();
    this.messages.show(id);
  }

  rules(conversation) {
    const store = this.store;
    if (!store.can("conversations.reply")) return { canReply: false, canNote: false, reason: t("pane.readOnly") };
    if (conversation.status === "resolved") return { canReply: false, canNote: true, reason: t("pane.resolvedNotice") };
    if (conversation.status === "bot") return { canReply: false, canNote: true, reason: t("pane.botNotice") };
    if (!store.isMine(conversation) && !store.can("conversations.assign")) return { canReply: false, canNote: true, reason: t("pane.readOnly") };
    return { canReply: true, canNote: true, reason: null };
  }

  renderState() {
    const conversation = this.store.conversation(this.conversationId);
    if (!conversation) return;
    this.actions.conversation = conversation;
    const rules = this.rules(conversation);
    if (this.composer.conversationId !== conversation.id) this.composer.show(conversation.id, rules);
    else this.composer.setRules(rules);
    this.banner.hidden = conversation.status !== "queued" && conversation.status !== "bot";
    if (conversation.status === "queued") replace(this.banner, icon("clock", 14), h("span", null, t("pane.queuedNotice")));
    if (conversation.status === "bot") replace(this.banner, icon("message", 14), h("span", null, t("pane.botBanner")));
    this.renderHeader();
  }

  renderHeader() {
    const conversation = this.store.conversation(this.conversationId);
    if (!conversation || !this.header) return;
    const store = this.store;
    const directory = store.directory;
    const name = store.displayVisitorName(conversation.id);
    this.section.setAttribute("aria-label", t("pane.label", { name }));
    const visitor = directory.visitor(conversation.visitorId);
    const details = [];
    details.push(h("span", { class: `chip chip-${conversation.status}` }, t(`status.${conversation.status}`)));
    if (conversation.assigneeId) details.push(h("span", { class: "meta-item" }, icon("user", 12), directory.agentName(conversation.assigneeId) ?? t("agent.unknown")));
    if (conversation.teamId) details.push(h("span", { class: "meta-item" }, icon("users", 12), directory.teamName(conversation.teamId) ?? t("team.unknown")));
    if (conversation.csatRating) details.push(h("span", { class: "meta-item meta-rating" }, icon("star", 12), t("pane.rating", { rating: conversation.csatRating })));
    const typing = store.typers(conversation.id).some((typer) => typer.senderType === "visitor");
    const sub = typing
      ? h("span", { class: "pane-typing" }, t("list.typing"))
      : (visitor?.email ? h("span", { class: "pane-sub-text", dir: "auto" }, visitor.email) : h("span", { class: "pane-sub-text" }, formatRelative(conversation.lastMessageAt ?? conversation.createdAt, language())));
    if (!this.headerParts) {
      // Built once: later updates change only the texts, so focus on the actions or the toggle
      // survives the typing and state frames that redraw the header.
      this.headerParts = {
        avatar: h("span", { class: "pane-avatar" }),
        name: h("h2", { class: "pane-name", dir: "auto" }),
        details: h("div", { class: "pane-details" }),
        toggle: h("button", {
          type: "button",
          class: "icon-button pane-visitor-toggle",
          "aria-label": t("pane.toggleVisitor"),
          title: t("pane.toggleVisitor"),
          "aria-pressed": String(this.visitorOpen),
          onclick: () => this.dispatchEvent(new CustomEvent("toggle-visitor", { bubbles: true })),
        }, icon("sidebar", 18)),
      };
      replace(this.header,
        h("button", { type: "button", class: "icon-button pane-back", "aria-label": t("pane.close"), onclick: () => this.dispatchEvent(new CustomEvent("close-conversation", { bubbles: true })) }, icon("chevronRight", 18)),
        this.headerParts.avatar,
        h("div", { class: "pane-title" }, this.headerParts.name, this.headerParts.details),
        this.actions,
        this.headerParts.toggle);
    }
    const parts = this.headerParts;
    replace(parts.avatar, avatar(name, conversation.visitorId, { size: "md" }));
    if (parts.name.textContent !== name) parts.name.textContent = name;
    replace(parts.details, details, sub);
    if (this.messages.visitorNameShown !== name) {
      this.messages.visitorNameShown = name;
      this.messages.setVisitor?.(visitor);
    }
  }

  acceptsFiles(event) {
    return this.conversationId && [...(event.dataTransfer?.types ?? [])].includes("Files") && this.composer.rules?.canReply;
  }

  onDrag(event, delta) {
    if (!this.acceptsFiles(event)) return;
    event.preventDefault();
    this.dragDepth = Math.max(0, this.dragDepth + delta);
    this.dropZone.hidden = this.dragDepth === 0;
  }

  onDrop(event) {
    if (!this.acceptsFiles(event)) return;
    event.preventDefault();
    this.dragDepth = 0;
    this.dropZone.hidden = true;
    this.composer.addFiles([...event.dataTransfer.files]);
  }

  focusComposer() {
    this.composer?.focus();
  }

  toggleNote() {
    this.composer?.toggleNote();
  }

  accept() { return this.actions?.accept(); }
  resolve() { return this.actions?.resolve(); }
}

customElements.define("kefu-chat-pane", ChatPane);

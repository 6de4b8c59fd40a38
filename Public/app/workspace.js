/**
 * <kefu-workspace>: the signed-in agent's workspace. Owns the store for its lifetime and lays out
 * the rail, the conversation list, the chat pane and the visitor panel; routes by the URL hash
 * (#/view/conversationId); shows the connection state, notices and the notification prompt;
 * keeps the unread count in the tab title; and handles the keyboard shortcuts.
 * Fires "signed-out" when the agent signs out.
 */
import { h, replace } from "./dom.js";
import { shortcutDialog } from "./dialogs.js";
import { icon } from "./icons.js";
import { Notifier } from "./notifier.js";
import { Store } from "./store.js";
import { languageEvents, t } from "./strings.js";
import { viewKeys } from "./conversation-views.js";
import "./nav.js";
import "./conversation-list.js";
import "./chat-pane.js";
import "./visitor-panel.js";

const panelKey = "kefu:app:visitor-panel";

class Workspace extends HTMLElement {
  constructor() {
    super();
    this.view = "mine";
    this.selectedId = null;
    this.counts = { mine: 0, queue: 0 };
    this.everOpen = false;
    this.listeners = [];
    try { this.panelOpen = localStorage.getItem(panelKey) !== "0"; } catch { this.panelOpen = true; }
  }

  connectedCallback() {
    this.store = new Store(this.me);
    this.notifier = new Notifier(this.store, { open: (id) => this.navigate(this.view, id) });
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.listeners.push(() => target.removeEventListener(type, fn));
    };
    on(window, "hashchange", () => this.route());
    on(document, "keydown", (event) => this.onKey(event));
    on(this.store, "connection", (event) => this.renderConnection(event.detail.state));
    on(this.store, "notice", (event) => this.toast(event.detail.text, event.detail.tone));
    on(this.store, "conversation", (event) => {
      if (event.detail.conversation.id === this.selectedId) this.updateTitle();
    });
    on(languageEvents, "change", () => this.build());
    this.addEventListener("open-conversation", (event) => this.navigate(event.detail.view ?? this.view, event.detail.id));
    this.addEventListener("close-conversation", () => this.navigate(this.view, null));
    this.addEventListener("toggle-visitor", () => this.togglePanel());
    this.addEventListener("counts", (event) => { this.counts = event.detail; this.updateTitle(); });
    this.addEventListener("shortcuts", () => shortcutDialog());
    this.addEventListener("sign-out", () => this.signOut());
    this.addEventListener("leave-composer", () => this.list?.querySelector("[aria-current='true']")?.focus());
    this.parseHash();
    this.build();
    this.store.start();
    this.connectTimerDone = false;
    this.connectTimer = setTimeout(() => {
      this.connectTimerDone = true;
      this.renderConnection(this.store.connection);
    }, 1500);
  }

  disconnectedCallback() {
    for (const off of this.listeners) off();
    this.listeners = [];
    clearTimeout(this.connectTimer);
    this.notifier.dispose();
    this.store.stop();
    document.title = t("app.name");
  }

  parseHash() {
    const [, view, id] = location.hash.match(/^#\/(\w+)(?:\/([0-9A-Fa-f-]{36}))?/) ?? [];
    this.view = viewKeys.includes(view) ? view : "mine";
    if (!this.store.can("conversations.read") && (this.view === "queue" || this.view === "all")) this.view = "mine";
    this.selectedId = id ? id.toUpperCase() : null;
  }

  /** Builds the layout (again after a language change; the store keeps all state). */
  build() {
    const store = this.store;
    this.nav = h("kefu-nav");
    this.nav.store = store;
    this.nav.view = this.view;
    this.list = h("kefu-conversation-list");
    this.list.store = store;
    this.list.viewKey = this.view;
    this.pane = h("kefu-chat-pane");
    this.pane.store = store;
    this.pane.conversationId = this.selectedId;
    this.pane.visitorOpen = this.panelOpen;
    this.panel = h("kefu-visitor-panel");
    this.panel.store = store;
    this.panel.conversationId = this.selectedId;
    this.connectionNode = h("div", { class: "connection", role: "status", "aria-live": "polite" });
    this.toasts = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    this.prompt = this.notificationPrompt();
    this.layout = h("div", { class: "ws" },
      this.nav,
      h("div", { class: "ws-list" }, this.prompt, this.list),
      h("main", { class: "ws-main" }, h("h1", { class: "visually-hidden" }, `${t("app.title")} · ${t("app.name")}`), this.pane),
      h("div", { class: "ws-side" }, this.panel));
    this.applyLayout();
    replace(this, this.layout, this.connectionNode, this.toasts);
    store.select(this.selectedId);
    this.renderConnection(store.connection);
    this.updateTitle();
  }

  applyLayout() {
    this.layout.classList.toggle("has-conversation", !!this.selectedId);
    this.layout.classList.toggle("panel-open", this.panelOpen && !!this.selectedId);
  }

  navigate(view, id) {
    const hash = id ? `#/${view}/${id}` : `#/${view}`;
    if (location.hash !== hash) location.hash = hash;
    else this.route();
  }

  route() {
    const before = { view: this.view, id: this.selectedId };
    this.parseHash();
    if (this.view !== before.view) {
      this.nav.current = this.view;
      this.list.setView(this.view);
    }
    if (this.selectedId !== before.id) {
      this.store.select(this.selectedId);
      this.pane.open(this.selectedId);
      this.panel.show(this.selectedId);
      this.applyLayout();
      this.updateTitle();
    }
  }

  togglePanel() {
    this.panelOpen = !this.panelOpen;
    try { localStorage.setItem(panelKey, this.panelOpen ? "1" : "0"); } catch { /* storage blocked */ }
    this.pane.visitorPanelOpen = this.panelOpen;
    this.applyLayout();
  }

  updateTitle() {
    const count = (this.counts.mine ?? 0) + (this.counts.queue ?? 0);
    const base = `${t("app.title")} · ${t("app.name")}`;
    const name = this.selectedId ? this.store.displayVisitorName(this.selectedId) : "";
    const title = name ? `${name} · ${base}` : base;
    document.title = count ? `(${count > 99 ? "99+" : count}) ${title}` : title;
  }

  renderConnection(state) {
    const node = this.connectionNode;
    if (!node) return;
    if (state === "open") {
      if (this.everOpen && node.dataset.state && node.dataset.state !== "open") {
        node.dataset.state = "open";
        replace(node, h("div", { class: "connection-pill connection-ok" }, icon("check", 14), h("span", null, t("connection.restored"))));
        clearTimeout(this.restoredTimer);
        this.restoredTimer = setTimeout(() => { if (node.dataset.state === "open") replace(node); }, 2500);
      } else {
        node.dataset.state = "open";
        replace(node);
      }
      this.everOpen = true;
      return;
    }
    if (state === "closed") return;
    if (!this.everOpen && state === "connecting" && !this.connectTimerDone) return;
    node.dataset.state = state;
    const offline = navigator.onLine === false;
    replace(node, h("div", { class: "connection-pill connection-lost" },
      offline ? icon("wifiOff", 14) : h("span", { class: "spinner spinner-tiny", "aria-hidden": "true" }),
      h("span", null, offline ? t("connection.offline") : (this.everOpen ? t("connection.reconnecting") : t("connection.connecting"))),
      state === "waiting" ? h("button", { type: "button", class: "link-button", onclick: () => this.store.socket.retryNow() }, t("connection.retryNow")) : null));
  }

  toast(text, tone = "error") {
    const node = h("div", { class: `toast toast-${tone}`, role: tone === "error" ? "alert" : undefined },
      icon(tone === "error" ? "alert" : "check", 16), h("span", null, text),
      h("button", { type: "button", class: "icon-button toast-close", "aria-label": t("shortcuts.close"), onclick: () => node.remove() }, icon("x", 14)));
    this.toasts.append(node);
    setTimeout(() => node.remove(), 6000);
  }

  notificationPrompt() {
    if (!this.notifier.shouldAsk) return null;
    const node = h("section", { class: "notify-prompt", "aria-label": t("notify.permission") },
      h("span", { class: "notify-icon", "aria-hidden": "true" }, icon("bell", 16)),
      h("div", { class: "notify-text" },
        h("strong", null, t("notify.permission")),
        h("span", { title: t("notify.permissionHint") }, t("notify.permissionHint"))),
      h("div", { class: "notify-actions" },
        h("button", { type: "button", class: "button button-small button-primary", onclick: async () => { await this.notifier.ask(); node.remove(); } }, t("notify.enable")),
        h("button", { type: "button", class: "icon-button", "aria-label": t("notify.dismiss"), title: t("notify.dismiss"), onclick: () => { this.notifier.dismiss(); node.remove(); } }, icon("x", 16))));
    return node;
  }

  async signOut() {
    await this.store.signOut();
    this.dispatchEvent(new CustomEvent("signed-out", { bubbles: true }));
  }

  // ---------- keyboard ----------

  step(delta) {
    const ids = this.list.ids;
    if (!ids.length) return;
    const index = ids.indexOf(this.selectedId);
    const next = index < 0 ? (delta > 0 ? 0 : ids.length - 1) : Math.max(0, Math.min(ids.length - 1, index + delta));
    if (index >= ids.length - 3) this.list.list?.loadMore();
    if (ids[next] !== this.selectedId) this.navigate(this.view, ids[next]);
  }

  onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey) return;
    if (document.querySelector("dialog[open]") || document.querySelector(".menu")) return;
    const target = event.target;
    const typing = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
    if (event.altKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      this.step(event.key === "ArrowDown" ? 1 : -1);
      return;
    }
    if (typing || event.altKey) return;
    const key = event.key;
    const actions = {
      j: () => this.step(1),
      k: () => this.step(-1),
      e: () => this.pane.resolve(),
      a: () => this.pane.accept(),
      r: () => this.pane.focusComposer(),
      "/": () => this.pane.focusComposer(),
      n: () => this.pane.toggleNote(),
      s: () => this.list.focusSearch(),
      "?": () => shortcutDialog(),
    };
    const digit = Number(key);
    if (digit >= 1 && digit <= viewKeys.length) {
      const view = viewKeys[digit - 1];
      if ((view === "queue" || view === "all") && !this.store.can("conversations.read")) return;
      event.preventDefault();
      this.navigate(view, null);
      return;
    }
    const action = actions[key] ?? actions[key.toLowerCase?.()];
    if (!action || (key.length === 1 && key !== key.toLowerCase() && key !== "?")) return;
    event.preventDefault();
    action();
  }
}

customElements.define("kefu-workspace", Workspace);

/**
 * <kefu-conversation-list>: the middle column — one list (view) with text search and filters
 * (team, widget, status), paged from REST as the person scrolls, kept live from the store.
 * Rows are created once and updated in place: a frame touches only its own row, so thousands of
 * loaded conversations stay fast. Names and previews load only for rows that scroll into view.
 * The list is one Tab stop with arrow keys between rows (list-keyboard.js).
 * Fires "open-conversation" (detail: id) when a row is chosen.
 */
import { formatDateTime, formatRelative } from "../shared/time.js";
import { ConversationList, viewFor } from "./conversation-views.js";
import { h, replace, uid } from "./dom.js";
import { describeEvent } from "./event-text.js";
import { icon } from "./icons.js";
import { avatar, updateAvatar, visitorName } from "./names.js";
import { listKeyboard, scrollIntoViewIfNeeded } from "./list-keyboard.js";
import { language, t } from "./strings.js";

const statusOrder = ["bot", "queued", "open", "pending", "snoozed"];

class ConversationListElement extends HTMLElement {
  constructor() {
    super();
    this.viewKey = "mine";
    this.filters = {};
    this.rows = new Map();       // id → <li>
    this.byVisitor = new Map();  // visitorId → Set(id)
    this.selectedId = null;
    this.tabStop = null;         // the one row link with tabindex 0
    this.tabStopChosen = false;  // focused or opened by the agent (else it follows the first row)
    this.filtersOpen = false;
    this.listeners = [];
  }

  connectedCallback() {
    const store = this.store;
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.listeners.push(() => target.removeEventListener(type, fn));
    };
    on(store, "conversation", (event) => this.updateRow(event.detail.conversation.id));
    on(store, "preview", (event) => this.updateRow(event.detail.conversationId));
    on(store, "typing", (event) => this.updateRow(event.detail.conversationId));
    on(store, "welcome", (event) => { if (event.detail.reconnect) this.list?.refresh(); });
    on(store, "select", (event) => this.markSelected(event.detail.id));
    on(store.directory, "visitor", (event) => {
      for (const id of this.byVisitor.get(event.detail) ?? []) this.updateRow(id);
    });
    on(store.directory, "agents", () => this.refreshAllRows());
    on(store.directory, "teams", () => { this.refreshAllRows(); this.renderFilters(); });
    on(store.directory, "widgets", () => this.renderFilters());
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const row = entry.target;
        this.observer.unobserve(row);
        row.dataset.seen = "1";
        this.updateRow(row.dataset.id);
      }
    }, { root: null, rootMargin: "200px 0px" });
    this.clock = setInterval(() => this.refreshTimes(), 30000);
    this.render();
    this.setView(this.viewKey, { force: true });
  }

  disconnectedCallback() {
    for (const off of this.listeners) off();
    this.listeners = [];
    this.observer?.disconnect();
    this.sentinelObserver?.disconnect();
    clearInterval(this.clock);
    this.list?.dispose();
  }

  /** The ids in display order (for j/k navigation). */
  get ids() {
    return this.list ? this.list.ids : [];
  }

  setView(key, { force = false } = {}) {
    if (key === this.viewKey && !force && this.list) return;
    this.viewKey = key;
    if (!viewFor(key, this.store).statusFilter) delete this.filters.status;
    this.list?.dispose();
    this.list = new ConversationList(this.store, viewFor(key, this.store), { ...this.filters });
    this.list.addEventListener("change", (event) => this.apply(event.detail));
    if (this.isConnected) {
      this.renderHeader();
      this.renderFilters();
      this.resetRows();
      this.list.loadMore();
    }
  }

  render() {
    const searchId = uid("search");
    this.titleNode = h("h2", { class: "list-title", id: uid("list-title") });
    this.countNode = h("span", { class: "list-count" });
    this.searchInput = h("input", {
      id: searchId,
      type: "search",
      class: "input search-input",
      placeholder: t("list.searchPlaceholder"),
      autocomplete: "off",
      value: this.filters.q ?? "",
      oninput: (event) => this.onSearch(event.target.value),
      onkeydown: (event) => {
        if (event.key === "Escape" && event.target.value) { event.stopPropagation(); event.target.value = ""; this.onSearch(""); }
        if (event.key === "ArrowDown") { event.preventDefault(); this.focusRow(0); }
      },
    });
    this.filterButton = h("button", {
      type: "button",
      class: "icon-button",
      "aria-label": t("list.filters"),
      title: t("list.filters"),
      "aria-expanded": String(this.filtersOpen),
      onclick: () => {
        this.filtersOpen = !this.filtersOpen;
        this.filterButton.setAttribute("aria-expanded", String(this.filtersOpen));
        this.filterRow.hidden = !this.filtersOpen;
        if (this.filtersOpen) this.filterRow.querySelector("select")?.focus();
      },
    }, icon("filter", 18), h("span", { class: "filter-dot", hidden: true }));
    this.filterRow = h("div", { class: "list-filters", hidden: !this.filtersOpen });
    this.listNode = h("ul", {
      class: "conv-list",
      "aria-labelledby": this.titleNode.id,
      onkeydown: (event) => this.onListKey(event),
      onfocusin: (event) => { if (event.target.classList?.contains("conv-row")) this.setTabStop(event.target, true); },
    });
    this.stateNode = h("div", { class: "list-state" });
    this.sentinel = h("div", { class: "list-sentinel", "aria-hidden": "true" });
    this.scroller = h("div", { class: "list-scroll" }, this.listNode, this.stateNode, this.sentinel);
    replace(this,
      h("section", { class: "list-panel", "aria-label": t("list.label") },
        h("header", { class: "list-header" },
          h("div", { class: "list-heading" }, this.titleNode, this.countNode),
          h("div", { class: "list-search" },
            h("label", { for: searchId, class: "visually-hidden" }, t("list.search")),
            h("span", { class: "search-icon", "aria-hidden": "true" }, icon("search", 16)),
            this.searchInput,
            this.filterButton),
          this.filterRow),
        this.scroller));
    this.sentinelObserver?.disconnect();
    this.sentinelObserver = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.list?.loadMore();
    }, { root: this.scroller, rootMargin: "400px 0px" });
    this.sentinelObserver.observe(this.sentinel);
  }

  renderHeader() {
    if (!this.titleNode) return;
    this.titleNode.textContent = t(`view.${this.viewKey}`);
    this.renderCount();
  }

  renderCount() {
    if (!this.countNode || !this.list) return;
    const count = this.list.ids.length;
    this.countNode.textContent = count ? (this.list.done ? String(count) : `${count}+`) : "";
  }

  renderFilters() {
    if (!this.filterRow) return;
    const directory = this.store.directory;
    const view = viewFor(this.viewKey, this.store);
    const select = (name, label, anyLabel, options) => {
      const id = uid("filter");
      return h("div", { class: "filter" },
        h("label", { for: id, class: "filter-label" }, label),
        h("select", { id, class: "select select-small", onchange: (event) => this.onFilter(name, event.target.value) },
          h("option", { value: "" }, anyLabel),
          options.map(([value, text]) => h("option", { value, selected: this.filters[name] === value }, text))));
    };
    const teams = [...directory.teams.values()].map((team) => [team.id.toUpperCase(), team.name]);
    const widgets = [...directory.widgets.values()].map((widget) => [widget.id.toUpperCase(), widget.name]);
    replace(this.filterRow,
      view.statusFilter ? select("status", t("list.filterStatus"), t("list.anyStatus"), statusOrder.map((status) => [status, t(`status.${status}`)])) : null,
      teams.length ? select("teamId", t("list.filterTeam"), t("list.anyTeam"), teams) : null,
      directory.widgetsAvailable && widgets.length > 0 ? select("widgetId", t("list.filterWidget"), t("list.anyWidget"), widgets) : null);
    const active = !!(this.filters.teamId || this.filters.widgetId || this.filters.status);
    this.filterButton.querySelector(".filter-dot").hidden = !active;
    this.filterButton.hidden = !this.filterRow.childElementCount;
  }

  onSearch(value) {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => {
      const q = value.trim();
      if ((this.filters.q ?? "") === q) return;
      if (q) this.filters.q = q; else delete this.filters.q;
      this.reload();
    }, 250);
  }

  onFilter(name, value) {
    if (value) this.filters[name] = value; else delete this.filters[name];
    this.renderFilters();
    this.reload();
  }

  reload() {
    this.list.refresh({ ...this.filters });
  }

  /** Applies one list change to the DOM. */
  apply(change) {
    switch (change.op) {
      case "reset":
        this.resetRows();
        break;
      case "insert": {
        const row = this.rowFor(change.id);
        const before = this.rows.get(this.list.ids[change.index + 1]);
        this.listNode.insertBefore(row, before ?? null);
        if (this.list.ids.length > 1 && !this.list.loading) {
          row.classList.add("conv-new");
          setTimeout(() => row.classList.remove("conv-new"), 1600);
        }
        break;
      }
      case "remove": {
        const row = this.rows.get(change.id);
        if (row) {
          const hadFocus = row.contains(document.activeElement);
          row.remove();
          this.forget(change.id);
          if (hadFocus) this.focusRow(Math.min(change.index, this.list.ids.length - 1));
        }
        break;
      }
      case "move": {
        const row = this.rows.get(change.id) ?? this.rowFor(change.id);
        const before = this.rows.get(this.list.ids[change.index + 1]);
        const hadFocus = row.contains(document.activeElement);
        this.listNode.insertBefore(row, before ?? null);
        if (hadFocus) row.querySelector("a")?.focus();
        break;
      }
      default:
        break;
    }
    this.syncTabStop();
    this.renderCount();
    this.renderState();
  }

  resetRows() {
    const keep = new Set(this.list.ids);
    for (const id of [...this.rows.keys()]) if (!keep.has(id)) this.forget(id);
    const fragment = document.createDocumentFragment();
    for (const id of this.list.ids) fragment.append(this.rowFor(id));
    this.listNode.replaceChildren(fragment);
    this.syncTabStop();
    this.renderCount();
    this.renderState();
  }

  forget(id) {
    const row = this.rows.get(id);
    if (!row) return;
    this.observer.unobserve(row);
    this.rows.delete(id);
    const conversation = this.store.conversation(id);
    this.byVisitor.get(conversation?.visitorId)?.delete(id);
  }

  renderState() {
    const list = this.list;
    let content = null;
    if (list.error) {
      content = h("div", { class: "list-message", role: "alert" },
        h("p", null, t("list.error")),
        h("button", { type: "button", class: "button button-small", onclick: () => list.ids.length ? list.loadMore() : list.refresh() }, t("list.retry")));
    } else if (list.loading) {
      content = list.ids.length
        ? h("div", { class: "list-loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), h("span", null, t("list.loading")))
        : h("div", { class: "list-skeleton", "aria-label": t("list.loading"), role: "status" }, [1, 2, 3, 4, 5, 6].map(() => h("div", { class: "skeleton-row" }, h("span", { class: "skeleton-avatar" }), h("span", { class: "skeleton-lines" }, h("span"), h("span")))));
    } else if (!list.ids.length && list.done) {
      const q = list.filters.q;
      content = h("div", { class: "list-empty" },
        h("div", { class: "list-empty-icon", "aria-hidden": "true" }, icon(q ? "search" : "inbox", 28)),
        h("p", null, q ? t("list.empty.search", { q }) : t(`list.empty.${this.viewKey}`)));
    } else if (list.done && list.ids.length > 20) {
      content = h("p", { class: "list-end" }, t("list.end"));
    }
    replace(this.stateNode, content);
  }

  /** The row of a conversation: built once, then updated in place. */
  rowFor(id) {
    let row = this.rows.get(id);
    if (row) return row;
    const conversation = this.store.conversation(id);
    const refs = {
      avatar: avatar("", conversation?.visitorId),
      name: h("span", { class: "conv-name", dir: "auto" }),
      time: h("time", { class: "conv-time" }),
      preview: h("span", { class: "conv-preview", dir: "auto" }),
      badge: h("span", { class: "conv-badge", hidden: true }),
      meta: h("span", { class: "conv-meta" }),
      label: h("span", { class: "visually-hidden" }),
    };
    const link = h("a", {
      class: "conv-row",
      href: `#/${this.viewKey}/${id}`,
      tabindex: "-1",
      dataset: { id },
      onclick: (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        this.dispatchEvent(new CustomEvent("open-conversation", { bubbles: true, detail: { id, view: this.viewKey } }));
      },
    },
    refs.avatar,
    h("span", { class: "conv-body" },
      h("span", { class: "conv-line" }, refs.name, refs.time),
      h("span", { class: "conv-line" }, refs.preview, refs.badge),
      refs.meta),
    refs.label);
    row = h("li", { class: "conv-item", dataset: { id } }, link);
    row.refs = refs;
    this.rows.set(id, row);
    if (conversation?.visitorId) {
      if (!this.byVisitor.has(conversation.visitorId)) this.byVisitor.set(conversation.visitorId, new Set());
      this.byVisitor.get(conversation.visitorId).add(id);
    }
    this.observer.observe(row);
    this.fillRow(row, conversation);
    if (id === this.selectedId) link.setAttribute("aria-current", "true");
    return row;
  }

  updateRow(id) {
    const row = this.rows.get(id);
    if (row) this.fillRow(row, this.store.conversation(id));
  }

  refreshAllRows() {
    for (const [id, row] of this.rows) this.fillRow(row, this.store.conversation(id));
  }

  refreshTimes() {
    for (const [id, row] of this.rows) this.fillTime(row, this.store.conversation(id));
  }

  fillTime(row, conversation) {
    if (!conversation) return;
    const queued = conversation.status === "queued";
    const at = queued ? (conversation.queuedAt ?? conversation.createdAt) : (conversation.lastMessageAt ?? conversation.createdAt);
    const text = formatRelative(at, language());
    if (row.refs.time.textContent !== text) row.refs.time.textContent = text;
    row.refs.time.setAttribute("datetime", at ?? "");
    row.refs.time.title = formatDateTime(at, language());
  }

  fillRow(row, conversation) {
    if (!conversation) return;
    const { refs } = row;
    const seen = row.dataset.seen === "1";
    const store = this.store;
    const directory = store.directory;
    const visitor = directory.visitor(conversation.visitorId, { load: seen });
    const name = visitorName(visitor, conversation.visitorId);
    setText(refs.name, name);
    updateAvatar(refs.avatar, visitor ? name : "", conversation.visitorId);
    this.fillTime(row, conversation);

    const typing = store.typers(conversation.id).some((typer) => typer.senderType === "visitor");
    row.classList.toggle("is-typing", typing);
    let previewText;
    if (typing) {
      previewText = t("list.typing");
    } else {
      const message = seen ? store.preview(conversation.id) : store.previews.get(conversation.id)?.message;
      previewText = message ? previewOf(message, store) : (seen && store.previews.has(conversation.id) ? t("preview.none") : "");
    }
    setText(refs.preview, previewText);

    const unread = conversation.unread ?? 0;
    refs.badge.hidden = unread === 0 || conversation.id === store.selectedId;
    setText(refs.badge, unread > 99 ? "99+" : String(unread));
    row.classList.toggle("is-unread", unread > 0 && conversation.id !== store.selectedId);

    const meta = [];
    const showStatus = this.viewKey === "all" || this.viewKey === "pending" || (this.viewKey === "mine" && conversation.status !== "open");
    if (showStatus) meta.push(h("span", { class: `chip chip-${conversation.status}` }, t(`status.${conversation.status}`)));
    if (conversation.status === "snoozed" && conversation.snoozedUntil) meta.push(h("span", { class: "meta-item" }, icon("clock", 12), formatDateTime(conversation.snoozedUntil, language())));
    if (conversation.assigneeId && this.viewKey !== "mine") meta.push(h("span", { class: "meta-item" }, icon("user", 12), directory.agentName(conversation.assigneeId) ?? t("agent.unknown")));
    if (conversation.teamId) meta.push(h("span", { class: "meta-item" }, icon("users", 12), directory.teamName(conversation.teamId) ?? t("team.unknown")));
    if (conversation.csatRating) meta.push(h("span", { class: "meta-item meta-rating" }, icon("star", 12), String(conversation.csatRating)));
    replace(refs.meta, meta);
    refs.meta.hidden = meta.length === 0;

    const label = [t(`status.${conversation.status}`), unread ? t("list.unread", { count: unread }) : ""].filter(Boolean).join(", ");
    setText(refs.label, `, ${label}`);
  }

  markSelected(id) {
    const previous = this.selectedId;
    this.selectedId = id;
    for (const key of [previous, id]) {
      const row = this.rows.get(key);
      if (!row) continue;
      const link = row.querySelector("a");
      if (key === id) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current");
      this.fillRow(row, this.store.conversation(key));
    }
    const row = this.rows.get(id);
    if (row) {
      this.setTabStop(row.querySelector("a"), true);
      scrollIntoViewIfNeeded(row, this.scroller);
    }
  }

  focusSearch() {
    this.searchInput?.focus();
    this.searchInput?.select();
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** One line of preview text for a message. */
export function previewOf(message, store) {
  if (message.kind === "event") return describeEvent(message, store.directory);
  let text = message.text ?? "";
  if (message.kind === "attachment") {
    try { text = t("preview.attachment", { name: JSON.parse(message.text).name ?? "" }); } catch { text = t("preview.attachment", { name: "" }); }
  }
  text = text.replace(/\s+/g, " ").trim();
  if (message.kind === "note") return t("preview.note", { text });
  if (message.senderType === "agent" && String(message.senderId ?? "").toUpperCase() === store.userId) return t("preview.you", { text });
  return text;
}

Object.assign(ConversationListElement.prototype, listKeyboard);
customElements.define("kefu-conversation-list", ConversationListElement);

/**
 * <kefu-visitor-panel>: the right column — who the visitor is (name, email, phone, verified
 * identity, attributes), where they are (current page, referrer, language, device from the user
 * agent, first and last seen), this conversation's facts, and their other conversations, which
 * open in the chat pane. Every value is shown as text; only http(s) page URLs become links.
 */
import { get } from "./api.js";
import { safeHref } from "../shared/text.js";
import { formatDateTime, formatRelative } from "../shared/time.js";
import { h, replace } from "./dom.js";
import { icon } from "./icons.js";
import { avatar, visitorName } from "./names.js";
import { language, t } from "./strings.js";
import { parseUserAgent } from "./user-agent.js";

class VisitorPanel extends HTMLElement {
  constructor() {
    super();
    this.listeners = [];
    this.conversationId = null;
    this.past = null;
  }

  connectedCallback() {
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.listeners.push(() => target.removeEventListener(type, fn));
    };
    on(this.store, "conversation", (event) => {
      const conversation = event.detail.conversation;
      if (conversation.id === this.conversationId) this.render();
      else if (this.past?.some((item) => item.id === conversation.id)) this.render();
    });
    on(this.store.directory, "visitor", (event) => {
      if (event.detail === this.store.conversation(this.conversationId)?.visitorId) this.render();
    });
    on(this.store.directory, "agents", () => this.render());
    on(this.store.directory, "teams", () => this.render());
    this.render();
    if (this.conversationId) this.show(this.conversationId, { force: true });
  }

  disconnectedCallback() {
    for (const off of this.listeners) off();
    this.listeners = [];
  }

  async show(id, { force = false } = {}) {
    if (id === this.conversationId && !force) return;
    this.conversationId = id;
    this.past = null;
    this.error = false;
    if (!this.isConnected) return;
    this.render();
    const conversation = this.store.conversation(id);
    if (!conversation) return;
    const visitorId = conversation.visitorId;
    const [visitor] = await Promise.all([
      this.store.directory.fetchVisitor(visitorId),
      this.loadPast(visitorId, id),
    ]);
    if (this.conversationId !== id) return;
    if (!visitor) this.error = true;
    this.render();
  }

  async loadPast(visitorId, id) {
    try {
      const asOf = this.store.liveClock;
      const page = await get("/api/v1/conversations", { visitorId, limit: 20, order: "desc" });
      if (this.conversationId !== id) return;
      this.past = (page.items ?? []).map((item) => this.store.upsert(item, { asOf }) ?? item);
      this.past.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    } catch {
      if (this.conversationId === id) this.past = [];
    }
  }

  row(label, value, { node, copy } = {}) {
    const empty = value === undefined || value === null || value === "";
    return h("div", { class: "info-row" },
      h("dt", null, label),
      h("dd", { dir: "auto" }, empty ? h("span", { class: "info-empty" }, t("visitorPanel.empty")) : (node ?? h("span", { class: "info-value", title: String(value) }, String(value))),
        copy && !empty ? h("button", {
          type: "button",
          class: "icon-button copy-button",
          "aria-label": t("visitorPanel.copy", { field: label }),
          title: t("visitorPanel.copy", { field: label }),
          onclick: (event) => {
            navigator.clipboard?.writeText(String(value)).then(() => {
              const button = event.currentTarget ?? event.target.closest("button");
              button?.setAttribute("title", t("visitorPanel.copied"));
              this.store.notice(t("visitorPanel.copied"), "info");
            }).catch(() => {});
          },
        }, icon("copy", 14)) : null));
  }

  link(url) {
    const href = safeHref(url);
    if (!href) return null;
    let shown = url;
    try {
      const parsed = new URL(href);
      shown = `${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}${parsed.search}`;
    } catch { /* keep the raw text */ }
    return h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "info-link", title: url }, h("span", { class: "info-link-text" }, shown), icon("external", 12));
  }

  render() {
    const store = this.store;
    const conversation = store.conversation(this.conversationId);
    if (!conversation) {
      replace(this, h("aside", { class: "visitor-panel", "aria-label": t("visitorPanel.label") }));
      return;
    }
    const directory = store.directory;
    const visitor = directory.visitor(conversation.visitorId, { load: false });
    const name = visitorName(visitor, conversation.visitorId);
    const device = parseUserAgent(visitor?.userAgent);
    const lang = language();
    const attributes = Object.entries(visitor?.attributes ?? {});
    const languageName = visitor?.language ? displayLanguage(visitor.language, lang) : "";

    const section = (title, ...content) => h("section", { class: "info-section" }, h("h3", { class: "info-title" }, title), ...content);
    replace(this, h("aside", { class: "visitor-panel", "aria-label": t("visitorPanel.label") },
      h("div", { class: "visitor-card" },
        avatar(visitor ? name : "", conversation.visitorId, { size: "xl" }),
        h("h2", { class: "visitor-name", dir: "auto" }, name),
        visitor?.email ? h("p", { class: "visitor-email", dir: "auto" }, visitor.email) : null,
        visitor?.externalId
          ? h("p", { class: "verified" }, icon("shield", 14), h("span", { dir: "auto" }, t("visitorPanel.verifiedId", { id: visitor.externalId })))
          : (visitor ? h("p", { class: "unverified" }, t("visitorPanel.unverified")) : null)),
      this.error ? h("p", { class: "info-error", role: "alert" }, t("visitorPanel.error")) : null,
      section(t("visitorPanel.contact"),
        h("dl", { class: "info-list" },
          this.row(t("visitorPanel.name"), visitor?.name, { copy: true }),
          this.row(t("visitorPanel.email"), visitor?.email, { copy: true }),
          this.row(t("visitorPanel.phone"), visitor?.phone, { copy: true }))),
      section(t("visitorPanel.session"),
        h("dl", { class: "info-list" },
          this.row(t("visitorPanel.page"), visitor?.pageUrl, { node: visitor?.pageUrl ? (this.link(visitor.pageUrl) ?? undefined) : undefined }),
          this.row(t("visitorPanel.referrer"), visitor?.referrer, { node: visitor?.referrer ? (this.link(visitor.referrer) ?? undefined) : undefined }),
          this.row(t("visitorPanel.language"), languageName),
          this.row(t("visitorPanel.device"), device ? t("device.summary", { browser: device.browser, os: device.os }) : (visitor?.userAgent ? t("device.unknown") : ""),
            { node: device ? h("span", { class: "device", title: visitor.userAgent }, icon(device.type === "desktop" ? "monitor" : "phone", 14), t("device.summary", { browser: device.browser, os: device.os })) : undefined }),
          this.row(t("visitorPanel.firstSeen"), visitor?.createdAt ? formatDateTime(visitor.createdAt, lang) : ""),
          this.row(t("visitorPanel.lastSeen"), visitor?.lastSeenAt ? formatRelative(visitor.lastSeenAt, lang) : ""))),
      section(t("visitorPanel.attributes"),
        attributes.length
          ? h("dl", { class: "info-list" }, attributes.map(([key, value]) => this.row(key, typeof value === "string" ? value : JSON.stringify(value))))
          : h("p", { class: "info-empty" }, t("visitorPanel.noAttributes"))),
      section(t("visitorPanel.conversation"),
        h("dl", { class: "info-list" },
          this.row(t("visitorPanel.statusLabel"), t(`status.${conversation.status}`), { node: h("span", { class: `chip chip-${conversation.status}` }, t(`status.${conversation.status}`)) }),
          this.row(t("visitorPanel.assignee"), conversation.assigneeId ? (directory.agentName(conversation.assigneeId) ?? t("agent.unknown")) : t("visitorPanel.unassigned")),
          this.row(t("visitorPanel.team"), conversation.teamId ? (directory.teamName(conversation.teamId) ?? t("team.unknown")) : t("visitorPanel.noTeam")),
          directory.widgetName(conversation.widgetId) ? this.row(t("list.filterWidget"), directory.widgetName(conversation.widgetId)) : null,
          this.row(t("visitorPanel.created"), formatDateTime(conversation.createdAt, lang)))),
      section(t("visitorPanel.past"), this.renderPast(conversation))));
  }

  renderPast(current) {
    if (!this.past) return h("div", { class: "info-loading" }, h("span", { class: "spinner", "aria-hidden": "true" }));
    const others = this.past.filter((item) => item.id !== current.id);
    if (!others.length) return h("p", { class: "info-empty" }, t("visitorPanel.noPast"));
    const lang = language();
    return h("ul", { class: "past-list" }, others.map((item) => {
      const preview = this.store.previews.get(item.id)?.message;
      return h("li", null,
        h("a", {
          href: `#/all/${item.id}`,
          class: "past-item",
          onclick: (event) => {
            event.preventDefault();
            this.dispatchEvent(new CustomEvent("open-conversation", { bubbles: true, detail: { id: item.id } }));
          },
        },
        h("span", { class: "past-top" },
          h("span", { class: "past-date" }, formatDateTime(item.createdAt, lang)),
          h("span", { class: `chip chip-${item.status}` }, t(`status.${item.status}`))),
        preview?.kind === "text" ? h("span", { class: "past-preview", dir: "auto" }, preview.text) : null,
        item.csatRating ? h("span", { class: "meta-item meta-rating" }, icon("star", 12), String(item.csatRating)) : null));
    }));
  }
}

function displayLanguage(code, viewer) {
  try {
    const name = new Intl.DisplayNames([viewer], { type: "language" }).of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

customElements.define("kefu-visitor-panel", VisitorPanel);

/**
 * <kefu-nav>: the left rail — the conversation lists with their counts (unread in Mine, waiting
 * in the queue), and the account menu: presence (online / away / offline) with capacity,
 * language, desktop notifications, keyboard shortcuts and sign-out.
 * Fires "navigate" (detail: view key), "shortcuts" and "sign-out" (all bubble).
 */
import { h, replace } from "./dom.js";
import { icon } from "./icons.js";
import { menuButton } from "./menu.js";
import { avatar } from "./names.js";
import { language, languages, setLanguage, t } from "./strings.js";
import { viewKeys } from "./conversation-views.js";

const viewIcons = { mine: "inbox", queue: "queue", bot: "message", all: "list", pending: "clock", resolved: "checkCircle" };

class Nav extends HTMLElement {
  constructor() {
    super();
    this.view = "mine";
    this.counts = {};
    this.frame = 0;
    this.onChange = () => this.scheduleCounts();
    this.onPresence = () => this.renderAccount();
  }

  connectedCallback() {
    this.store.addEventListener("conversation", this.onChange);
    this.store.addEventListener("presence", this.onPresence);
    this.store.addEventListener("welcome", this.onPresence);
    this.render();
  }

  disconnectedCallback() {
    this.store.removeEventListener("conversation", this.onChange);
    this.store.removeEventListener("presence", this.onPresence);
    this.store.removeEventListener("welcome", this.onPresence);
    cancelAnimationFrame(this.frame);
  }

  set current(view) {
    this.view = view;
    for (const link of this.querySelectorAll(".rail-link")) {
      if (link.dataset.view === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  /** Counts are recomputed at most once a frame, however many frames arrive. */
  scheduleCounts() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderCounts();
      this.renderCapacity();
    });
  }

  computeCounts() {
    let mineUnread = 0;
    let queued = 0;
    const me = this.store.userId;
    for (const conversation of this.store.conversations.values()) {
      if (conversation.status === "queued" && !conversation.assigneeId) queued += 1;
      else if (conversation.assigneeId === me && conversation.status === "open" && conversation.unread > 0) mineUnread += 1;
    }
    return { mine: mineUnread, queue: queued };
  }

  render() {
    const views = viewKeys.filter((key) => !["queue", "bot", "all"].includes(key) || this.store.can("conversations.read"));
    replace(this,
      h("nav", { class: "rail", "aria-label": t("nav.label") },
        h("a", { class: "rail-brand", href: "#/mine", "aria-label": t("app.name") }, icon("message", 20)),
        h("ul", { class: "rail-views" },
          views.map((key) => h("li", null,
            h("a", {
              class: "rail-link",
              href: `#/${key}`,
              dataset: { view: key },
              "aria-current": key === this.view ? "page" : undefined,
              title: t(`view.${key}`),
              "aria-label": t(`view.${key}`),
            },
            h("span", { class: "rail-icon" }, icon(viewIcons[key], 20), h("span", { class: "rail-badge", dataset: { count: key }, hidden: true })),
            h("span", { class: "rail-label", "aria-hidden": "true" }, t(`view.${key}Short`)))))),
        h("div", { class: "rail-bottom" },
          h("button", { type: "button", class: "rail-tool", "aria-label": t("nav.shortcuts"), title: t("nav.shortcuts"), onclick: () => this.dispatchEvent(new CustomEvent("shortcuts", { bubbles: true })) }, icon("keyboard", 20)),
          h("div", { class: "rail-account" }))));
    this.renderCounts();
    this.renderAccount();
  }

  renderCounts() {
    const counts = this.computeCounts();
    for (const [key, value] of Object.entries(counts)) {
      const badge = this.querySelector(`[data-count="${key}"]`);
      const link = this.querySelector(`.rail-link[data-view="${key}"]`);
      if (!badge) continue;
      badge.hidden = value === 0;
      badge.textContent = value > 99 ? "99+" : String(value);
      if (key === "queue") badge.classList.add("rail-badge-neutral");
      const countText = key === "queue" ? t("nav.waitingCount", { count: value }) : t("nav.unreadCount", { count: value });
      link?.setAttribute("aria-label", value ? `${t(`view.${key}`)}, ${countText}` : t(`view.${key}`));
    }
    this.counts = counts;
    this.dispatchEvent(new CustomEvent("counts", { bubbles: true, detail: counts }));
  }

  renderCapacity() {
    const node = this.querySelector(".rail-capacity");
    if (!node) return;
    const count = this.store.activeCount();
    const capacity = this.store.capacity;
    node.textContent = `${count}/${capacity}`;
    node.setAttribute("aria-label", t("presence.capacityLabel", { count, capacity }));
    node.classList.toggle("full", count >= capacity);
  }

  renderAccount() {
    const slot = this.querySelector(".rail-account");
    if (!slot) return;
    const store = this.store;
    const presence = store.presence;
    const name = store.me.user.displayName;
    const button = h("button", {
      type: "button",
      class: "rail-avatar-button",
      "aria-label": `${t("nav.account", { name })} · ${t(`presence.${presence}`)}`,
      title: `${name} · ${t(`presence.${presence}`)}`,
    }, avatar(name, store.userId, { size: "md", presence }));
    menuButton(button, () => {
      const count = store.activeCount();
      const capacity = store.capacity;
      const meter = h("div", { class: "menu-capacity" },
        h("div", { class: "menu-capacity-text" }, h("span", null, t("presence.capacity", { count, capacity }))),
        h("div", { class: "meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": String(capacity), "aria-valuenow": String(count), "aria-label": t("presence.capacityLabel", { count, capacity }) }, h("span", { class: "meter-fill" })));
      meter.querySelector(".meter-fill").style.width = `${Math.min(100, (count / Math.max(1, capacity)) * 100)}%`;
      return [
        { custom: h("div", { class: "menu-account" }, avatar(name, store.userId, { size: "lg" }), h("div", null, h("div", { class: "menu-account-name" }, name), h("div", { class: "menu-account-email" }, store.me.user.email))) },
        { custom: meter },
        { separator: true },
        { heading: t("presence.label") },
        ...["online", "away", "offline"].map((value) => ({
          label: t(`presence.${value}`),
          hint: t(`presence.${value}Hint`),
          radio: true,
          checked: presence === value,
          iconNode: h("span", { class: `presence-dot presence-${value} menu-dot` }),
          onSelect: () => store.setPresence(value),
        })),
        { separator: true },
        { heading: t("app.language") },
        ...languages.map(({ code, name: languageName }) => ({ label: languageName, radio: true, checked: language() === code, onSelect: () => setLanguage(code) })),
        { separator: true },
        { label: t("nav.shortcuts"), icon: "keyboard", shortcut: "?", onSelect: () => this.dispatchEvent(new CustomEvent("shortcuts", { bubbles: true })) },
        { label: t("nav.signOut"), icon: "logout", danger: true, onSelect: () => this.dispatchEvent(new CustomEvent("sign-out", { bubbles: true })) },
      ];
    }, { placement: "right-end", label: t("nav.account", { name }) });
    replace(slot, button, h("span", { class: "rail-capacity", role: "note" }));
    this.renderCapacity();
  }
}

customElements.define("kefu-nav", Nav);

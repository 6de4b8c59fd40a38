/**
 * The composer's canned replies. Typing "/" at the start of a message opens a list of the
 * replies the agent may use (GET /api/v1/canned-replies), narrowed by what follows the slash;
 * ↑/↓ choose, Enter or Tab insert the reply with its variables filled ({{visitor.name}},
 * {{visitor.email}}, {{visitor.phone}}, {{agent.name}}), Escape closes. The textarea stays a
 * textbox (aria-autocomplete, aria-controls and aria-activedescendant point at the listbox);
 * every text in the list is set as text, never as markup.
 */
import { get } from "./api.js";
import { h, replace, uid } from "./dom.js";
import { t } from "./strings.js";

export class CannedMenu {
  /** @param composer the <kefu-composer> whose textarea this menu serves. */
  constructor(composer) {
    this.composer = composer;
    this.replies = null;
    this.matches = [];
    this.active = 0;
    this.list = h("ul", { id: uid("canned"), class: "canned-menu", role: "listbox", "aria-label": t("canned.label"), hidden: true });
  }

  /** Wires the textarea (after it is rendered) and returns the list element to place above it. */
  attach(textarea) {
    this.textarea = textarea;
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", this.list.id);
    return this.list;
  }

  get isOpen() {
    return !this.list.hidden;
  }

  /** After every input: open, narrow or close. */
  async update() {
    const match = /^\/(\S*)$/.exec(this.textarea.value);
    if (!match) return this.close();
    if (!this.replies) {
      try {
        this.replies = (await get("/api/v1/canned-replies", { limit: 200 })).items ?? [];
      } catch {
        this.replies = [];
      }
      if (!/^\/(\S*)$/.test(this.textarea.value)) return this.close();
    }
    const query = match[1].toLowerCase();
    this.matches = this.replies
      .filter((reply) => reply.shortcut.toLowerCase().includes(query) || reply.body.toLowerCase().includes(query))
      .sort((a, b) => Number(!a.shortcut.toLowerCase().startsWith(query)) - Number(!b.shortcut.toLowerCase().startsWith(query)))
      .slice(0, 8);
    this.active = 0;
    this.render();
  }

  render() {
    const items = this.matches.map((reply, index) => h("li", {
      id: `${this.list.id}-${index}`, role: "option", class: "canned-item", "aria-selected": String(index === this.active),
      onmousedown: (event) => { event.preventDefault(); this.choose(reply); },
    }, h("span", { class: "canned-shortcut" }, `/${reply.shortcut}`), h("span", { class: "canned-body" }, this.fill(reply.body))));
    replace(this.list, items.length ? items : h("li", { class: "canned-empty", role: "option", "aria-disabled": "true" }, t("canned.none")));
    this.list.hidden = false;
    if (this.matches.length) this.textarea.setAttribute("aria-activedescendant", `${this.list.id}-${this.active}`);
    else this.textarea.removeAttribute("aria-activedescendant");
  }

  close() {
    this.list.hidden = true;
    this.textarea?.removeAttribute("aria-activedescendant");
  }

  /** Keys while the list is open; returns whether the key was the menu's. */
  onKey(event) {
    if (!this.isOpen) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!this.matches.length) return true;
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.matches.length) % this.matches.length;
      this.render();
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && !event.isComposing) {
      if (!this.matches.length) return false;
      this.choose(this.matches[this.active]);
      return true;
    }
    if (event.key === "Escape") {
      this.close();
      return true;
    }
    return false;
  }

  choose(reply) {
    this.textarea.value = this.fill(reply.body);
    this.close();
    this.textarea.dispatchEvent(new Event("input"));
    this.textarea.focus();
  }

  /** The reply with its variables filled from the conversation's visitor and the agent. */
  fill(text) {
    const store = this.composer.store;
    const conversation = store.conversation(this.composer.conversationId);
    const visitor = conversation ? store.directory.visitor(conversation.visitorId) : null;
    const values = {
      "visitor.name": conversation ? store.displayVisitorName(conversation.id) : "",
      "visitor.email": visitor?.email ?? "",
      "visitor.phone": visitor?.phone ?? "",
      "agent.name": store.directory.agents.get(store.userId)?.displayName ?? "",
    };
    return text.replace(/\{\{\s*([a-z.]+)\s*\}\}/g, (whole, name) => (name in values ? values[name] : whole));
  }
}

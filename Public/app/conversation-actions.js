/**
 * <kefu-conversation-actions>: what can be done to the open conversation, by its state — accept
 * from the queue, resolve, reopen, and a menu to assign or transfer, mark pending or open, and
 * snooze until a time. Actions go through the store (REST), so they work while the socket
 * reconnects; a refusal (someone else took it, capacity) is shown as a notice.
 */
import { h, replace } from "./dom.js";
import { assignDialog, snoozeDialog } from "./dialogs.js";
import { icon } from "./icons.js";
import { menuButton } from "./menu.js";
import { t } from "./strings.js";

export function actionError(error) {
  if (error.code === "conflict") {
    return /capacity/i.test(error.message) ? t("actions.capacity") : t("actions.conflict");
  }
  return t("actions.failed", { message: error.message });
}

class ConversationActions extends HTMLElement {
  set conversation(conversation) {
    this.current = conversation;
    // Redraw only when what the buttons depend on changed, so focus stays on them while
    // messages arrive.
    const key = conversation ? `${conversation.id}|${conversation.status}|${conversation.assigneeId ?? ""}|${conversation.teamId ?? ""}` : "";
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    this.render();
  }

  async run(action, button) {
    if (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
    try {
      await action();
    } catch (error) {
      this.store.notice(actionError(error));
    } finally {
      if (button?.isConnected) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
    }
  }

  accept() {
    const conversation = this.current;
    if (conversation?.status === "queued" || conversation?.status === "bot") {
      return this.run(async () => {
        await this.store.accept(conversation.id);
        this.dispatchEvent(new CustomEvent("accepted", { bubbles: true }));
      }, this.querySelector("[data-action=accept]"));
    }
    return undefined;
  }

  resolve() {
    const conversation = this.current;
    if (conversation && !["resolved", "queued", "bot"].includes(conversation.status)) {
      return this.run(() => this.store.resolve(conversation.id), this.querySelector("[data-action=resolve]"));
    }
    return undefined;
  }

  render() {
    const conversation = this.current;
    const store = this.store;
    if (!conversation) {
      replace(this);
      return;
    }
    const mine = store.isMine(conversation);
    const canAssign = store.can("conversations.assign") || mine;
    const buttons = [];
    if (conversation.status === "queued" || conversation.status === "bot") {
      // Taking a conversation from the bot stops it at once.
      const label = conversation.status === "bot" ? t("actions.takeOver") : t("actions.accept");
      buttons.push(h("button", { type: "button", class: "button button-primary", dataset: { action: "accept" }, onclick: () => this.accept() }, icon("userPlus", 16), label));
    } else if (conversation.status === "resolved") {
      buttons.push(h("button", { type: "button", class: "button", dataset: { action: "reopen" }, onclick: (event) => this.run(() => store.reopen(conversation.id), event.currentTarget) }, icon("reopen", 16), t("actions.reopen")));
    } else if (canAssign) {
      buttons.push(h("button", { type: "button", class: "button button-success", dataset: { action: "resolve" }, onclick: () => this.resolve() }, icon("check", 16), t("actions.resolve")));
    }
    const menuItems = () => {
      const items = [];
      if (conversation.status !== "resolved" && (canAssign || store.can("conversations.assign"))) {
        items.push({ label: t("actions.assign"), icon: "users", onSelect: () => assignDialog(store, this.current), keepFocusAway: true });
      }
      if (["open", "snoozed"].includes(conversation.status) && canAssign) items.push({ label: t("actions.pending"), icon: "pause", onSelect: () => this.run(() => store.setStatus(conversation.id, "pending")) });
      if (["pending", "snoozed"].includes(conversation.status) && canAssign) items.push({ label: t("actions.open"), icon: "message", onSelect: () => this.run(() => store.setStatus(conversation.id, "open")) });
      if (["open", "pending"].includes(conversation.status) && canAssign) items.push({ label: t("actions.snooze"), icon: "clock", onSelect: () => snoozeDialog(store, this.current), keepFocusAway: true });
      return items;
    };
    const more = menuItems().length
      ? menuButton(h("button", { type: "button", class: "icon-button icon-button-bordered", "aria-label": t("actions.more"), title: t("actions.more") }, icon("more", 18)), menuItems, { placement: "bottom-end", label: t("actions.more") })
      : null;
    replace(this, h("div", { class: "actions", role: "group", "aria-label": t("actions.label") }, buttons, more));
  }
}

customElements.define("kefu-conversation-actions", ConversationActions);

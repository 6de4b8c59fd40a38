/**
 * <kefu-composer>: writes replies and private notes. Enter sends, Shift+Enter adds a line (and
 * an input method's composition is never cut short); files come by button, paste or drop. What is
 * sent goes to the store's outbox, so it survives a dropped connection and a reload. Sends typing
 * indicators (throttled, and "stopped" after a pause). Drafts are kept per conversation. "/" at
 * the start opens the canned replies (canned-menu.js).
 */
import { CannedMenu } from "./canned-menu.js";
import { h, replace, uid } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./strings.js";

const drafts = new Map();   // conversationId → {text, note}

class Composer extends HTMLElement {
  constructor() {
    super();
    this.note = false;
    this.typingSentAt = 0;
    this.typingOn = false;
    this.idleTimer = 0;
  }

  connectedCallback() {
    this.render();
  }

  disconnectedCallback() {
    this.stopTyping();
  }

  /** Shows the composer for a conversation; `rules` = {canReply, reason}. */
  show(conversationId, rules) {
    if (this.conversationId && this.conversationId !== conversationId) {
      this.saveDraft();
      this.stopTyping();
    }
    this.conversationId = conversationId;
    const draft = drafts.get(conversationId);
    this.note = draft?.note ?? false;
    this.forcedNote = false;
    this.setRules(rules);
    this.textarea.value = draft?.text ?? "";
    this.resize();
    this.updateSend();
  }

  setRules(rules) {
    this.rules = rules;
    if (!rules.canReply && !this.note) {
      this.note = true;
      this.forcedNote = true;
    } else if (rules.canReply && this.forcedNote) {
      this.note = false;
      this.forcedNote = false;
    }
    this.replyRadio.disabled = !rules.canReply;
    this.replyRadio.checked = !this.note;
    this.noteRadio.checked = this.note;
    this.notice.hidden = !rules.reason;
    this.notice.textContent = rules.reason ?? "";
    this.attachButton.disabled = !rules.canReply;
    this.applyMode();
  }

  saveDraft() {
    if (!this.conversationId) return;
    const text = this.textarea.value;
    if (text) drafts.set(this.conversationId, { text, note: this.note });
    else drafts.delete(this.conversationId);
  }

  render() {
    const textId = uid("composer");
    const hintId = uid("composer-hint");
    const name = uid("mode");
    this.replyRadio = h("input", { type: "radio", name, value: "reply", checked: !this.note, onchange: () => this.setNote(false) });
    this.noteRadio = h("input", { type: "radio", name, value: "note", checked: this.note, onchange: () => this.setNote(true) });
    this.textarea = h("textarea", {
      id: textId,
      class: "composer-input",
      rows: "1",
      "aria-describedby": hintId,
      oninput: () => { this.resize(); this.updateSend(); this.onTyping(); this.canned.update(); },
      onkeydown: (event) => this.onKey(event),
      onpaste: (event) => this.onPaste(event),
      onblur: () => { this.saveDraft(); this.stopTyping(); this.canned.close(); },
    });
    this.canned = new CannedMenu(this);
    const cannedList = this.canned.attach(this.textarea);
    this.fileInput = h("input", { type: "file", multiple: true, class: "visually-hidden", tabindex: "-1", "aria-hidden": "true", onchange: (event) => { this.addFiles(event.target.files); event.target.value = ""; } });
    this.attachButton = h("button", { type: "button", class: "icon-button", "aria-label": t("composer.attach"), title: t("composer.attach"), onclick: () => this.fileInput.click() }, icon("paperclip", 18));
    this.sendButton = h("button", { type: "submit", class: "button button-primary composer-send", disabled: true }, icon("send", 16), h("span", { class: "composer-send-label" }, t("composer.send")));
    this.notice = h("p", { class: "composer-notice", hidden: true });
    this.label = h("label", { for: textId, class: "visually-hidden" }, t("composer.label"));
    replace(this,
      h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); this.send(); } },
        h("div", { class: "composer-top" },
          h("fieldset", { class: "segmented" },
            h("legend", { class: "visually-hidden" }, t("composer.modeLabel")),
            h("label", { class: "segment" }, this.replyRadio, h("span", null, icon("message", 14), t("composer.reply"))),
            h("label", { class: "segment segment-note" }, this.noteRadio, h("span", null, icon("lock", 14), t("composer.noteMode")))),
          this.notice),
        h("div", { class: "composer-box" },
          cannedList,
          this.label,
          this.textarea,
          h("div", { class: "composer-bar" },
            this.attachButton,
            this.fileInput,
            h("span", { id: hintId, class: "composer-hint" }, t("composer.hint")),
            this.sendButton))));
    this.applyMode();
  }

  setNote(note) {
    if (!note && this.rules && !this.rules.canReply) return;
    this.note = note;
    this.forcedNote = false;
    this.replyRadio.checked = !note;
    this.noteRadio.checked = note;
    this.applyMode();
    this.stopTyping();
  }

  toggleNote() {
    this.setNote(!this.note);
    this.focus();
  }

  applyMode() {
    this.classList.toggle("is-note", this.note);
    this.textarea.placeholder = this.note ? t("composer.notePlaceholder") : t("composer.placeholder");
    const label = this.sendButton.querySelector(".composer-send-label");
    label.textContent = this.note ? t("composer.addNote") : t("composer.send");
  }

  focus() {
    this.textarea?.focus();
  }

  resize() {
    const area = this.textarea;
    area.style.height = "auto";
    area.style.height = `${Math.min(area.scrollHeight, 220)}px`;
  }

  updateSend() {
    this.sendButton.disabled = !this.textarea.value.trim();
  }

  onKey(event) {
    if (this.canned.onKey(event)) {
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      this.send();
    } else if (event.key === "Escape") {
      event.preventDefault();
      this.textarea.blur();
      this.dispatchEvent(new CustomEvent("leave-composer", { bubbles: true }));
    }
  }

  onPaste(event) {
    const files = [...(event.clipboardData?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    this.addFiles(files);
  }

  addFiles(files) {
    if (!this.conversationId || (this.rules && !this.rules.canReply)) return;
    for (const file of files) this.store.sendFile(this.conversationId, file);
  }

  send() {
    const text = this.textarea.value.trim();
    if (!text || !this.conversationId) return;
    this.store.sendText(this.conversationId, text, this.note);
    this.textarea.value = "";
    drafts.delete(this.conversationId);
    this.resize();
    this.updateSend();
    this.stopTyping();
    this.textarea.focus();
  }

  onTyping() {
    if (!this.conversationId) return;
    const now = Date.now();
    if (!this.textarea.value.trim()) {
      this.stopTyping();
      return;
    }
    if (!this.typingOn || now - this.typingSentAt > 3000) {
      this.store.setTyping(this.conversationId, true, this.note);
      this.typingOn = true;
      this.typingSentAt = now;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopTyping(), 4000);
  }

  stopTyping() {
    clearTimeout(this.idleTimer);
    if (!this.typingOn || !this.conversationId) return;
    this.typingOn = false;
    this.store.setTyping(this.conversationId, false, this.note);
  }
}

customElements.define("kefu-composer", Composer);

/**
 * The composer (auto-growing text box, attach and send buttons; Enter sends, Shift+Enter breaks
 * the line) and file uploads by button, paste and drag-and-drop, with progress and a clear
 * error for a refused type or size (POST /api/v1/widget/attachments, README "Images and files").
 *
 *   composer(ctx) → {node, focus(), setDisabled(bool)}
 *   ctx: {t, store, origin, key, panel (drop target), notify(text), uploads: UploadList}
 *   new UploadList(onChange) — uploads in progress, shown by the thread
 */
import { el, svg } from "../shared/text.js";
import { newClientId } from "../shared/outbox.js";
import { formatBytes } from "../shared/time.js";

const SEND = "M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z";
const CLIP = "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z";

export class UploadList {
  constructor(onChange) {
    this.items = [];
    this.onChange = onChange;
  }

  add(name) {
    const item = { id: newClientId(), name, progress: 0 };
    this.items.push(item);
    this.onChange();
    return item;
  }

  progress(item, value) {
    item.progress = value;
    this.onChange();
  }

  remove(item) {
    this.items = this.items.filter((other) => other !== item);
    this.onChange();
  }
}

function upload(file, { origin, key, token, clientId }, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const query = new URLSearchParams({ key, name: file.name || "file", clientId });
    xhr.open("POST", `${origin}/api/v1/widget/attachments?${query}`);
    xhr.setRequestHeader("X-Kefu-Visitor", token);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(Math.round((event.loaded / event.total) * 100));
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) return reject(xhr.status);
      try { resolve(JSON.parse(xhr.responseText)); } catch { resolve(null); }
    };
    xhr.onerror = () => reject(0);
    xhr.send(file);
  });
}

export function composer(ctx) {
  const { t, store } = ctx;
  const input = el("textarea", {
    class: "kp-input", rows: 1, placeholder: t("composer.placeholder"), "aria-label": t("composer.label"),
    attrs: { dir: "auto", enterkeyhint: "send" },
  });
  const fileInput = el("input", { type: "file", multiple: true, class: "kp-file-input", tabIndex: -1, "aria-hidden": "true" });
  const attach = el("button", { type: "button", class: "kp-icon-btn", "aria-label": t("composer.attach"), title: t("composer.attach") }, svg(CLIP, 20));
  const send = el("button", { type: "submit", class: "kp-send", "aria-label": t("composer.send"), title: t("composer.send") }, svg(SEND, 18));
  const form = el("form", { class: "kp-composer" }, fileInput, el("div", { class: "kp-compose-box" }, input, el("div", { class: "kp-compose-actions" }, attach, send)));

  const grow = () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
    send.classList.toggle("kp-ready", !!input.value.trim());
  };
  const submit = () => {
    if (!input.value.trim()) return;
    store.send(input.value);
    input.value = "";
    grow();
    input.focus();
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", () => { grow(); store.typing(!!input.value.trim()); });
  input.addEventListener("blur", () => store.typing(false));
  attach.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => { sendFiles(Array.from(fileInput.files || []), ctx); fileInput.value = ""; });
  input.addEventListener("paste", (event) => {
    const files = Array.from(event.clipboardData?.files || []);
    if (files.length) { event.preventDefault(); sendFiles(files, ctx); }
  });
  wireDrop(ctx);
  return {
    node: form,
    focus: () => input.focus({ preventScroll: true }),
    setDisabled(on) { input.disabled = on; attach.disabled = on; send.disabled = on; },
  };
}

// The panel makes a new composer whenever the card below the thread changes (pre-chat form,
// rating, language switch): the panel's drop listeners are added once, or a drop would send
// each file once per composer made.
const wiredPanels = new WeakSet();

function wireDrop(ctx) {
  const { panel } = ctx;
  if (wiredPanels.has(panel)) return;
  wiredPanels.add(panel);
  let depth = 0;
  const hasFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
  panel.addEventListener("dragenter", (event) => {
    if (!hasFiles(event) || !ctx.canUpload()) return;
    depth += 1;
    panel.classList.add("kp-dragging");
  });
  panel.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) panel.classList.remove("kp-dragging");
  });
  panel.addEventListener("dragover", (event) => { if (hasFiles(event)) event.preventDefault(); });
  panel.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    panel.classList.remove("kp-dragging");
    if (ctx.canUpload()) sendFiles(Array.from(event.dataTransfer.files), ctx);
  });
}

export function sendFiles(files, ctx) {
  const { t, store, uploads, notify, lang } = ctx;
  const max = store.state.widget.maxUploadBytes;
  for (const file of files) {
    const name = file.name || "file";
    if (max && file.size > max) { notify(t("upload.tooLarge", { name, size: formatBytes(max, lang()) })); continue; }
    const token = store.token;
    if (!token || !store.state.conversation) { notify(t("upload.noConversation")); continue; }
    const item = uploads.add(name);
    upload(file, { origin: ctx.origin, key: ctx.key, token, clientId: newClientId() }, (p) => uploads.progress(item, p))
      .then((message) => {
        uploads.remove(item);
        if (message?.seq) store.onMessage(message, true);
      }, (status) => {
        uploads.remove(item);
        const size = formatBytes(max || 0, lang());
        notify(status === 413 && max ? t("upload.tooLarge", { name, size }) : status === 415 ? t("upload.type", { name })
          : status === 409 ? t("upload.noConversation") : t("upload.failed", { name }));
      });
  }
}

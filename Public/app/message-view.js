/**
 * One message as DOM: visitor and agent text (links only for http(s) URLs, via the shared safe
 * text module), private notes styled apart, system events as readable lines, images inline
 * (click to enlarge) and files as download cards. Every text from a person, bot or file goes in
 * as text nodes; attachment links are used only when they are http(s) on this server.
 */
import { renderText, safeHref, splitSources } from "../shared/text.js";
import { formatBytes, formatDateTime, formatDay, formatTime } from "../shared/time.js";
import { h } from "./dom.js";
import { describeEvent, eventIcon } from "./event-text.js";
import { icon } from "./icons.js";
import { avatar } from "./names.js";
import { language, t } from "./strings.js";

/** A message's text; a bot answer's sources apart, as a quieter line under it. */
function messageText(message) {
  const { body, label, sources } = message.senderType === "bot" ? splitSources(message.text) : { body: message.text };
  const text = h("div", { class: "msg-text", dir: "auto" }, renderText(body));
  if (!sources) return text;
  return [text, h("div", { class: "msg-sources", dir: "auto" }, icon("file", 13), h("span", {}, `${label}${label === "来源" ? "：" : ": "}`),
    h("span", { class: "msg-sources-list" }, sources))];
}

/** The file described by an attachment message's JSON text, or null. */
export function attachmentOf(message) {
  try {
    const file = JSON.parse(message.text);
    if (!file || typeof file !== "object") return null;
    const href = safeHref(file.url, location.origin);
    const sameOrigin = href && new URL(href).origin === location.origin;
    return {
      name: String(file.name ?? "file"),
      size: Number(file.size) || 0,
      contentType: String(file.contentType ?? ""),
      url: sameOrigin ? href : null,
    };
  } catch {
    return null;
  }
}

function attachmentNode(file, onImage) {
  if (!file) return h("span", { class: "msg-file-broken" }, t("event.unknown"));
  const size = formatBytes(file.size, language());
  if (file.url && /^image\/(png|jpeg|gif|webp)$/.test(file.contentType)) {
    const image = h("img", { src: file.url, alt: t("pane.imageAlt", { name: file.name }), loading: "lazy", decoding: "async", class: "msg-image" });
    return h("a", {
      href: file.url,
      target: "_blank",
      rel: "noopener noreferrer",
      class: "msg-image-link",
      "aria-label": t("pane.openImage", { name: file.name }),
      onclick: (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        onImage?.(file);
      },
    }, image);
  }
  const card = [
    h("span", { class: "msg-file-icon", "aria-hidden": "true" }, icon("file", 20)),
    h("span", { class: "msg-file-text" },
      h("span", { class: "msg-file-name", dir: "auto" }, file.name),
      h("span", { class: "msg-file-size" }, size)),
    file.url ? h("span", { class: "msg-file-download", "aria-hidden": "true" }, icon("download", 16)) : null,
  ];
  return file.url
    ? h("a", { class: "msg-file", href: file.url, download: file.name, rel: "noopener noreferrer", "aria-label": t("pane.download", { name: file.name }) }, card)
    : h("span", { class: "msg-file" }, card);
}

/**
 * Renders one message. ctx: {store, visitorName, onImage}. The node carries data-seq, data-day
 * (for separators) and data-group (who sent it, for grouping consecutive messages).
 */
export function renderMessage(message, ctx) {
  const store = ctx.store;
  const created = message.createdAt;
  const day = new Date(created).toDateString();
  const timeNode = h("time", { class: "msg-time", datetime: created, title: formatDateTime(created, language()) }, formatTime(created, language()));
  const dayNode = h("div", { class: "day-separator", role: "presentation" }, h("span", null, formatDay(created, language())));

  if (message.kind === "event") {
    return h("li", { class: "msg-event", dataset: { seq: String(message.seq), day, group: "system" } },
      dayNode,
      h("div", { class: "msg-event-line" },
        icon(eventIcon(message), 14),
        h("span", { class: "msg-event-text" }, describeEvent(message, store.directory)),
        h("span", { class: "msg-event-dot", "aria-hidden": "true" }, "·"),
        timeNode));
  }

  const senderId = String(message.senderId ?? "").toUpperCase();
  const mine = message.senderType === "agent" && senderId === store.userId;
  const incoming = message.senderType === "visitor";
  const note = message.kind === "note";
  const senderName = incoming
    ? ctx.visitorName
    : message.senderType === "bot"
      ? (message.senderName || t("pane.bot"))
      : (store.directory.agentName(senderId) ?? message.senderName ?? t("agent.unknown"));
  const file = message.kind === "attachment" ? attachmentOf(message) : null;
  const imageOnly = !!file?.url && /^image\/(png|jpeg|gif|webp)$/.test(file.contentType);
  const body = message.kind === "attachment"
    ? attachmentNode(file, ctx.onImage)
    : messageText(message);
  const classes = ["msg", incoming ? "msg-in" : "msg-out", note ? "msg-note" : "", mine ? "msg-mine" : "", message.kind === "attachment" ? "msg-attachment" : "", imageOnly ? "msg-image-only" : ""].filter(Boolean).join(" ");
  const status = mine && !note ? h("span", { class: "msg-status", dataset: { status: "sent" }, title: t("pane.delivered") }, icon("check", 14), h("span", { class: "visually-hidden" }, t("pane.delivered"))) : null;
  return h("li", { class: classes, dataset: { seq: String(message.seq), day, group: `${message.senderType}:${senderId}:${note ? "n" : "m"}`, at: String(Date.parse(created) || 0) } },
    dayNode,
    h("div", { class: "msg-row" },
      incoming ? avatar(ctx.visitorName, ctx.visitorId, { size: "sm" }) : null,
      h("div", { class: "msg-stack" },
        h("div", { class: "msg-sender" },
          note ? h("span", { class: "msg-note-label" }, icon("lock", 12), t("pane.note")) : null,
          h("span", { class: "msg-sender-name", dir: "auto" }, senderName)),
        h("div", { class: "msg-bubble" }, body),
        h("div", { class: "msg-meta" }, timeNode, status)),
      !incoming ? avatar(senderName, senderId || "bot", { size: "sm" }) : null));
}

/** The bot's answer as it is being written; the stored message replaces it when it comes. */
export function renderStreaming(stream) {
  const name = t("pane.bot");
  return h("li", { class: "msg msg-out msg-streaming", dataset: { streamId: stream.id } },
    h("div", { class: "msg-row" },
      h("div", { class: "msg-stack" },
        h("div", { class: "msg-sender" }, h("span", { class: "msg-sender-name", dir: "auto" }, name)),
        h("div", { class: "msg-bubble" }, h("div", { class: "msg-text msg-text-streaming", dir: "auto" }, renderText(stream.text))),
        h("div", { class: "msg-meta" }, h("span", { class: "msg-writing" }, t("pane.botWriting")))),
      avatar(name, "bot", { size: "sm" })));
}

/** Marks an own message "seen" (double check) once the visitor's read position passes it. */
export function markSeen(node) {
  const status = node.querySelector(".msg-status");
  if (!status || status.dataset.status === "seen") return;
  status.dataset.status = "seen";
  status.title = t("pane.seen");
  status.replaceChildren(icon("checks", 14), h("span", { class: "visually-hidden" }, t("pane.seen")));
}

/** An unsent reply, note or upload from the outbox, shown after the stored messages. */
export function renderUnsent(item, ctx) {
  const failed = item.state === "failed";
  const uploading = item.kind === "file";
  let statusText;
  if (failed) statusText = t("pane.failed");
  else if (uploading && item.state === "uploading") statusText = t("composer.uploading", { name: item.name, percent: Math.round((item.progress ?? 0) * 100) });
  else if (!ctx.store.welcomed && !uploading) statusText = t("composer.queued");
  else statusText = t("pane.sending");
  const reason = failed
    ? (item.error === "payload-too-large" ? t("composer.tooLarge") : item.error === "unsupported-media-type" ? t("composer.badType")
      : item.error === "content-blocked" ? t("composer.contentBlocked", { category: item.category || "" }) : (item.detail || item.error || ""))
    : "";
  const body = uploading
    ? h("span", { class: "msg-file" },
      h("span", { class: "msg-file-icon", "aria-hidden": "true" }, icon("file", 20)),
      h("span", { class: "msg-file-text" },
        h("span", { class: "msg-file-name", dir: "auto" }, item.name),
        h("span", { class: "msg-file-size" }, formatBytes(item.size, language()))),
      h("span", { class: "upload-bar", "aria-hidden": "true" }, h("span", { class: "upload-bar-fill" })))
    : h("div", { class: "msg-text", dir: "auto" }, renderText(item.text));
  const node = h("li", { class: `msg msg-out msg-mine msg-unsent${item.note ? " msg-note" : ""}${failed ? " msg-failed" : ""}`, dataset: { clientId: item.clientId } },
    h("div", { class: "msg-row" },
      h("div", { class: "msg-stack" },
        item.note ? h("div", { class: "msg-sender" }, h("span", { class: "msg-note-label" }, icon("lock", 12), t("pane.note"))) : null,
        h("div", { class: "msg-bubble" }, body),
        h("div", { class: "msg-meta" },
          failed ? icon("alert", 14) : h("span", { class: "spinner spinner-tiny", "aria-hidden": "true" }),
          h("span", { class: "msg-unsent-status" }, failed && reason ? `${statusText}: ${reason}` : statusText),
          // A blocked text would be blocked again: it can only be discarded (and rephrased).
          failed && item.error !== "content-blocked"
            ? h("button", { type: "button", class: "link-button", onclick: () => ctx.store.retry(item.clientId) }, t("pane.retry")) : null,
          failed || uploading ? h("button", { type: "button", class: "link-button", onclick: () => ctx.store.discard(item.clientId) }, t("pane.discard")) : null))));
  const fill = node.querySelector(".upload-bar-fill");
  if (fill) fill.style.width = `${Math.round((item.progress ?? 0) * 100)}%`;
  return node;
}

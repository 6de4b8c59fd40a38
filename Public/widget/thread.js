/**
 * The message list: greeting, messages grouped by sender with day separators and times, system
 * events as quiet lines, attachments (image thumbnails, file links), the outbox's sending/failed
 * bubbles, uploads in progress, read receipt and typing indicator. Every text that came from a
 * person or a file goes through textContent (renderText/el), never parsed as markup.
 *
 *   renderThread(list, view) — rebuilds `list`'s children from view (see panel.js `threadView`),
 *   reusing each message's bubble node so images do not reload.
 */
import { el, renderText, safeHref, splitSources, svg } from "../shared/text.js";
import { formatTime, formatDay, formatDateTime, formatBytes, sameDay } from "../shared/time.js";

const GROUP_GAP_MS = 5 * 60 * 1000;
const FILE_ICON = "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zm0 2.5L17.5 8H14zM8 13h8v1.6H8zm0 3.4h8V18H8z";
const BOOK_ICON = "M6 2h12a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 2v16h12V4zm2 3h8v1.6H8zm0 3.4h8V12H8z";
const ALERT_ICON = "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 15h-2v-2h2zm0-4h-2V7h2z";

export function parseJSON(text) {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

export function initial(name) {
  const first = Array.from(String(name || "").trim())[0];
  return first ? first.toUpperCase() : "?";
}

function eventText(message, view) {
  const event = parseJSON(message.text);
  if (!event) return null;
  const { t, conversation } = view;
  const assigneeId = conversation?.assigneeId?.toLowerCase();
  const name = event.agentId && event.agentId.toLowerCase() === assigneeId ? conversation?.assigneeName : null;
  switch (event.event) {
    case "assigned": return name ? t("event.assigned", { name }) : t("event.assignedAnon");
    case "transferred":
      if (event.teamId) return t("event.transferredTeam");
      return name ? t("event.transferred", { name }) : t("event.assignedAnon");
    case "resolved": return t("event.resolved");
    case "reopened": return t("event.reopened");
    case "rated": return t("event.rated", { rating: event.rating });
    case "handoff": return t("event.handoff");
    default: return null; // status changes are the agents' business
  }
}

function attachmentNode(message, view) {
  const file = parseJSON(message.text) || {};
  const href = safeHref(file.url || "", view.origin);
  const name = String(file.name || "file");
  if (href && /^image\/(png|jpeg|gif|webp)$/.test(file.contentType || "")) {
    const img = el("img", { src: href, alt: view.t("thread.image", { name }), loading: "lazy", decoding: "async" });
    return el("button", {
      type: "button", class: "kp-image", "aria-label": view.t("thread.openImage", { name }),
      on: { click: () => view.onOpenImage(href, name) },
    }, img);
  }
  const size = formatBytes(file.size, view.lang);
  const link = el("a", {
    class: "kp-file", href: href || undefined, target: "_blank", rel: "noopener noreferrer",
    "aria-label": view.t("thread.download", { name, size }), attrs: { download: name, dir: "auto" },
  }, el("span", { class: "kp-file-icon" }, svg(FILE_ICON, 22)),
  el("span", { class: "kp-file-text" }, el("span", { class: "kp-file-name", text: name }), el("span", { class: "kp-file-size", text: size })));
  return link;
}

function bubbleFor(item, view) {
  const cache = view.cache;
  const key = item.id ? `m:${item.id}` : `o:${item.clientId}:${item.state}`;
  let node = item.streaming ? null : cache.get(key);
  if (!node) {
    if (item.kind === "attachment") node = el("div", { class: "kp-bubble kp-bubble-file" }, attachmentNode(item, view));
    else node = el("div", { class: "kp-bubble", attrs: { dir: "auto" } }, textOf(item));
    if (item.createdAt) node.title = formatDateTime(item.createdAt, view.lang);
    cache.set(key, node);
  }
  node.classList.toggle("kp-streaming", !!item.streaming);
  node.classList.toggle("kp-failed", item.state === "failed");
  node.classList.toggle("kp-sending", item.state === "sending");
  view.seen.add(key);
  return node;
}

/** A message's text; a bot answer's sources apart, as a quieter line under it. */
function textOf(item) {
  const { body, label, sources } = item.senderType === "bot" && !item.streaming ? splitSources(item.text) : { body: item.text };
  if (!sources) return renderText(body);
  return [el("div", {}, renderText(body)),
    el("div", { class: "kp-sources" }, svg(BOOK_ICON, 14), el("span", { text: `${label}${label === "来源" ? "：" : ": "}` }), el("span", { class: "kp-sources-list", text: sources }))];
}

function senderKey(item) {
  return item.senderType === "visitor" ? "me" : `${item.senderType}:${item.senderId || ""}`;
}

function senderName(item, view) {
  if (item.senderName) return item.senderName;
  const conversation = view.conversation;
  if (item.senderType === "agent" && item.senderId && item.senderId === conversation?.assigneeId && conversation.assigneeName) return conversation.assigneeName;
  return item.senderType === "bot" ? view.widgetName : view.t("thread.agent");
}

export function renderThread(list, view) {
  const { t, lang } = view;
  view.seen = new Set();
  const nodes = [];
  const items = [];
  if (!view.hasOlder && view.greeting && !view.intro) {
    items.push({ greeting: true, id: `greeting:${view.greeting}`, senderType: "bot", senderId: "greeting", senderName: view.widgetName, text: view.greeting, createdAt: view.messages[0]?.createdAt });
  }
  items.push(...view.messages, ...view.outbox);
  // The bot's answer as it is written: a bubble that grows, replaced by the stored message.
  if (view.stream?.text) items.push({ streaming: true, id: `stream:${view.stream.id}`, senderType: "bot", text: view.stream.text });
  let group = null;
  let lastDate = null;
  let lastVisitorGroup = null;
  for (const item of items) {
    const date = item.createdAt ? new Date(item.createdAt) : new Date();
    if (item.createdAt && !item.greeting && (!lastDate || !sameDay(lastDate, date))) {
      nodes.push(el("div", { class: "kp-day", attrs: { role: "separator" } }, el("span", { text: formatDay(date, lang) })));
      group = null;
    }
    if (!item.greeting) lastDate = date;
    if (item.kind === "event") {
      const text = eventText(item, view);
      if (text) {
        nodes.push(el("div", { class: "kp-event", text }));
        group = null;
      }
      continue;
    }
    const key = senderKey(item);
    const pendingState = item.state;
    if (!group || group.key !== key || (item.createdAt && group.last && date - group.last > GROUP_GAP_MS) || pendingState !== group.state) {
      const mine = key === "me";
      const stack = el("div", { class: "kp-stack" });
      if (!mine) stack.append(el("div", { class: "kp-name", attrs: { dir: "auto" }, text: senderName(item, view) }));
      const row = el("div", { class: mine ? "kp-group kp-me" : "kp-group kp-them" });
      if (!mine) row.append(el("div", { class: "kp-avatar-sm", attrs: { "aria-hidden": "true" }, text: initial(senderName(item, view)) }));
      row.append(stack);
      group = { key, stack, row, last: null, lastItem: null, state: pendingState };
      nodes.push(row);
      if (mine) lastVisitorGroup = group;
    }
    group.stack.append(bubbleFor(item, view));
    group.last = date;
    group.lastItem = item;
    const meta = metaFor(item, view);
    group.stack.querySelector(":scope > .kp-meta")?.remove();
    if (meta) group.stack.append(meta);
  }
  if (lastVisitorGroup && !lastVisitorGroup.state) {
    const last = lastVisitorGroup.lastItem;
    const meta = lastVisitorGroup.stack.querySelector(":scope > .kp-meta");
    if (meta && last.seq) meta.append(" · ", t(view.agentReadSeq >= last.seq ? "thread.seen" : "thread.sent"));
  }
  for (const upload of view.uploads) {
    nodes.push(el("div", { class: "kp-group kp-me" }, el("div", { class: "kp-stack" },
      el("div", { class: "kp-bubble kp-upload" },
        el("span", { class: "kp-upload-name", attrs: { dir: "auto" }, text: t("upload.uploading", { name: upload.name }) }),
        el("progress", { max: 100, value: upload.progress, "aria-label": upload.name })))));
  }
  if (view.typing) {
    const name = view.typing.name || t("thread.agent");
    nodes.push(el("div", { class: "kp-group kp-them kp-typing-row" },
      el("div", { class: "kp-avatar-sm", attrs: { "aria-hidden": "true" }, text: initial(name) }),
      el("div", { class: "kp-stack" }, el("div", { class: "kp-bubble kp-typing", attrs: { role: "status", "aria-label": t("thread.typing", { name }) } },
        el("span"), el("span"), el("span")))));
  }
  list.replaceChildren(...nodes);
  for (const key of view.cache.keys()) if (!view.seen.has(key)) view.cache.delete(key);
}

function metaFor(item, view) {
  const { t, lang } = view;
  if (item.state === "sending") return el("div", { class: "kp-meta", text: t("thread.sending") });
  if (item.state === "failed") {
    const blocked = item.error === "content-blocked";
    const reason = item.error === "too-large" ? t("error.tooLarge") : blocked ? t("error.contentBlocked") : t("thread.failed");
    // A blocked text would be blocked again: only discarding (and rephrasing) helps.
    return el("div", { class: "kp-meta kp-meta-failed" }, svg(ALERT_ICON, 14), el("span", { text: reason }),
      blocked ? null : el("button", { type: "button", class: "kp-link", text: t("thread.retry"), on: { click: () => view.onRetry(item.clientId) } }),
      el("button", { type: "button", class: "kp-link", text: t("thread.discard"), on: { click: () => view.onDiscard(item.clientId) } }));
  }
  if (!item.createdAt || item.greeting) return null;
  return el("div", { class: "kp-meta", text: formatTime(item.createdAt, lang) });
}

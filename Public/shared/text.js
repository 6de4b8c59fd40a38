/**
 * Safe text — builds DOM from text that people, bots and files provide, never parsing it as
 * HTML. Shared by the widget and the agent workspace; the API below is stable (additions only).
 *
 *   renderText(text)          → DocumentFragment: text nodes, <br> for line breaks, and <a> for
 *                               http(s) URLs only (target=_blank, rel="noopener noreferrer")
 *   safeHref(url, base?)      → an absolute http(s) URL string, or null for anything else
 *                               (javascript:, data:, blob:, malformed…)
 *   el(tag, props?, ...children) → Element. props: {class, text, attrs: {name: value},
 *                               on: {event: fn}, ...properties}; children: Node | string
 *                               (strings become text nodes) | null/false (skipped) | arrays
 *   svg(pathData, size = 20)  → an aria-hidden <svg> icon with one <path d=…> (static data only)
 *   splitSources(text)        → {body, label, sources}: a bot answer's closing "Sources: …" /
 *                               "来源：…" paragraph (docs/protocol.md) apart from its body;
 *                               label and sources are null when it has none
 *
 * Everything is built with createElement and textContent. Callers set dir="auto" on blocks of user text so right-to-left
 * overrides stay inside their own element.
 */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`\u200e\u200f\u202a-\u202e\u2066-\u2069]+/gi;
const TRAILING = /[.,;:!?)\]}'"。，、；：！？）》」』】]+$/u;

export function safeHref(url, base) {
  try {
    const parsed = new URL(String(url), base);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export function renderText(text) {
  const fragment = document.createDocumentFragment();
  const lines = String(text ?? "").split(/\r\n|\r|\n/);
  lines.forEach((line, index) => {
    if (index > 0) fragment.append(document.createElement("br"));
    let last = 0;
    for (const match of line.matchAll(URL_PATTERN)) {
      let raw = match[0];
      const trailing = raw.match(TRAILING);
      if (trailing) raw = raw.slice(0, raw.length - trailing[0].length);
      const href = raw.length > 8 ? safeHref(raw) : null;
      if (!href) continue;
      if (match.index > last) fragment.append(line.slice(last, match.index));
      fragment.append(el("a", { href, target: "_blank", rel: "noopener noreferrer", text: raw }));
      last = match.index + raw.length;
    }
    if (last < line.length) fragment.append(line.slice(last));
  });
  return fragment;
}

const SOURCES = /^(Sources|来源)[:：]\s*(\S[^\n]*)$/u;

export function splitSources(text) {
  const value = String(text ?? "");
  const at = value.lastIndexOf("\n\n");
  const match = at < 0 ? null : value.slice(at + 2).match(SOURCES);
  return match ? { body: value.slice(0, at), label: match[1], sources: match[2] } : { body: value, label: null, sources: null };
}

export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name === "attrs") for (const [attr, v] of Object.entries(value)) { if (v !== undefined && v !== null && v !== false) node.setAttribute(attr, v === true ? "" : String(v)); }
      else if (name === "on") for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
      else if (name === "rel" || name.startsWith("aria-") || name.startsWith("data-")) node.setAttribute(name, value);
      else node[name] = value;
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child);
  }
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(pathData, size = 20) {
  const icon = document.createElementNS(SVG, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", size);
  icon.setAttribute("height", size);
  icon.setAttribute("aria-hidden", "true");
  icon.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", pathData);
  icon.append(path);
  return icon;
}

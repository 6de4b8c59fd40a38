/**
 * How people are shown: a visitor's name (or email, or "Visitor 1A2B" while anonymous), initials
 * and a stable colour for avatars. Returns strings for textContent; never markup.
 */
import { h } from "./dom.js";
import { t } from "./strings.js";

export function visitorName(visitor, visitorId) {
  const name = visitor?.name?.trim();
  if (name) return name;
  const email = visitor?.email?.trim();
  if (email) return email;
  return t("visitor.anonymous", { short: String(visitorId ?? "").slice(0, 4).toUpperCase() || "?" });
}

export function initials(name) {
  const clean = String(name ?? "").replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "").trim();
  if (!clean) return "?";
  const letters = [...clean];
  if (/[\u3400-\u9fff]/.test(letters[0])) return letters[0];
  const words = clean.split(/\s+/).filter(Boolean);
  const first = [...words[0]][0] ?? "?";
  const second = words.length > 1 ? [...words[words.length - 1]][0] : "";
  return (first + second).toUpperCase();
}

const hues = [212, 262, 330, 16, 38, 152, 188, 282, 2, 120];

export function hueFor(id) {
  let hash = 0;
  for (const char of String(id ?? "")) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hues[hash % hues.length];
}

/** An avatar circle with initials; the colour comes from the id (set through CSSOM). */
export function avatar(name, id, { size = "md", presence } = {}) {
  const node = h("span", { class: `avatar avatar-${size}`, "aria-hidden": "true" }, initials(name));
  node.style.setProperty("--avatar-hue", String(hueFor(id)));
  if (presence) node.append(h("span", { class: `presence-dot presence-${presence}` }));
  return node;
}

/** Fills an existing avatar (keeps the element, so a row update does not rebuild it). */
export function updateAvatar(node, name, id) {
  const text = initials(name);
  if (node.firstChild?.nodeType === Node.TEXT_NODE) {
    if (node.firstChild.data !== text) node.firstChild.data = text;
  } else node.prepend(text);
  node.style.setProperty("--avatar-hue", String(hueFor(id)));
}

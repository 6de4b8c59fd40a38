// The full-page chat (/chat/{widgetKey}, or /chat/index.html?key=…): mounts the widget's panel
// full-screen for mobile browsers, in-app browsers (WeChat) and links in emails or QR codes.
import { mountPanel, safeColor } from "/widget/panel.js";
import { createI18n } from "/shared/i18n.js";
import { el } from "/shared/text.js";
import { strings } from "/widget/strings.js";

const params = new URLSearchParams(location.search);
const fromPath = /^\/chat\/(kfw_[A-Za-z0-9_-]+)\/?$/.exec(location.pathname);
const key = fromPath ? fromPath[1] : params.get("key") || "";
const container = document.getElementById("kefu-chat");

function missing() {
  // The panel's table and remembered language: a visitor who chose Chinese reads this in Chinese.
  const { t, lang } = createI18n(strings, { lang: params.get("lang") || undefined, storageKey: "kefu:lang" });
  document.documentElement.lang = lang;
  document.title = t("missing.title");
  container.replaceChildren(el("div", { class: "chat-missing", attrs: { role: "main" } },
    el("h1", { text: t("missing.heading") }),
    el("p", { text: t("missing.text") })));
}

async function start() {
  if (!/^kfw_/.test(key)) return missing();
  let config = null;
  try {
    const response = await fetch(`/api/v1/widget/config?key=${encodeURIComponent(key)}`);
    if (response.ok) config = await response.json();
    else if (response.status === 404) {
      const problem = await response.json().catch(() => ({}));
      if (problem.code === "widget-not-found") return missing();
    }
  } catch { /* fall back to the settings the socket sends */ }
  if (config?.name) document.title = config.name;
  const root = container.attachShadow({ mode: "open" });
  const panel = await mountPanel({
    root, key, config, lang: params.get("lang") || undefined, mode: "page",
    hooks: {
      onTheme(color) { document.querySelector('meta[name="theme-color"]')?.setAttribute("content", safeColor(color)); },
      onLang(lang) { document.documentElement.lang = lang; },
    },
  });
  document.documentElement.lang = panel.lang();
}

start();

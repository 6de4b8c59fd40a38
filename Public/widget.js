/*
 * Kefu chat widget launcher — the only script a site loads at page load:
 *   <script src="https://HOST/widget.js" data-key="kfw_…" [data-lang="zh-CN"] [data-position="left"] async></script>
 * It adds one global, `Kefu` (open, close, identify, on), and a launcher button inside an open
 * shadow root so the page's CSS cannot reach it. The panel (/widget/panel.js) is imported on
 * first open, or at once when this browser already has a conversation (a stored visitor token).
 * Nothing here renders text from outside the page's own attributes.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || (window.Kefu && window.Kefu.version)) return;
  const key = script.getAttribute("data-key") || "";
  const origin = new URL(script.src, location.href).origin;
  const queued = Array.isArray(window.Kefu && window.Kefu.q) ? window.Kefu.q : [];
  const strings = {
    en: { open: "Open chat", close: "Close chat", unread: "{n} unread messages", unread1: "1 unread message" },
    "zh-CN": { open: "打开在线客服", close: "关闭在线客服", unread: "{n} 条未读消息", unread1: "1 条未读消息" },
  };
  let stored = null;
  try { stored = localStorage.getItem("kefu:lang"); } catch { /* no storage */ }
  const wanted = [script.getAttribute("data-lang"), stored, ...(navigator.languages || [navigator.language])];
  let lang = "en";
  for (const l of wanted) {
    if (!l) continue;
    if (/^zh/i.test(l)) { lang = "zh-CN"; break; }
    if (/^en/i.test(l)) break;
  }
  const t = (k, n) => strings[lang][n === 1 && strings[lang][k + "1"] ? k + "1" : k].replace("{n}", n);
  const stored_ = (name) => { try { return localStorage.getItem(`kefu:${key}:${name}`); } catch { return null; } };
  const hasToken = () => !!stored_("token");

  const listeners = { message: new Set(), unread: new Set() };
  const emit = (type, value) => listeners[type].forEach((fn) => { try { fn(value); } catch (error) { console.error(error); } });

  const host = document.createElement("div");
  host.setAttribute("data-kefu-widget", "");
  host.style.setProperty("all", "initial");
  const root = host.attachShadow({ mode: "open" });
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = `${origin}/widget/launcher.css`;
  const svgNS = "http://www.w3.org/2000/svg";
  const icon = (cls, d) => {
    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", cls);
    const path = document.createElementNS(svgNS, "path");
    path.setAttribute("d", d);
    svg.append(path);
    return svg;
  };
  const button = document.createElement("button");
  button.type = "button";
  button.className = "kl-launcher";
  button.setAttribute("aria-expanded", "false");
  button.append(
    icon("kl-chat", "M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.3-2.3c1 .3 2 .4 3.1.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3zm-4.5 10a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4.5 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4.5 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6z"),
    icon("kl-x", "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z"),
  );
  const badge = document.createElement("span");
  badge.className = "kl-badge";
  badge.hidden = true;
  button.append(badge);
  root.append(css, button);
  host.hidden = true;
  // In the page at once (hidden), so the stylesheet loads while the config is fetched.
  (document.body || document.documentElement).append(host);

  let config = null;
  let panel = null;
  let loading = null;
  let pendingIdentity = null;
  let unread = 0;

  const label = () => {
    button.setAttribute("aria-label", panel && panel.isOpen() ? t("close") : unread ? `${t("open")} (${t("unread", unread)})` : t("open"));
  };
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    host.toggleAttribute("data-open", open);
    label();
  };
  const setTheme = (color) => {
    const m = /^#([0-9a-f]{6})$/i.exec(color || "");
    if (!m) return;
    const n = parseInt(m[1], 16);
    const light = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) > 186;
    host.style.setProperty("--kefu-accent", color);
    host.style.setProperty("--kefu-on-accent", light ? "#111827" : "#fff");
  };
  const setPosition = (position) => host.setAttribute("data-position", position === "left" ? "left" : "right");

  const loadPanel = () => {
    if (watcher) { const socket = watcher; watcher = null; socket.close(1000); }
    loading = loading || import(`${origin}/widget/panel.js`).then((module) => module.mountPanel({
      root, key, config, lang, mode: "widget",
      hooks: {
        onUnread(n) {
          unread = n;
          badge.textContent = n > 9 ? "9+" : String(n);
          badge.hidden = !n;
          label();
          emit("unread", n);
        },
        onMessage(message) { emit("message", message); },
        onClose() { setOpen(false); button.focus(); },
        onTheme: setTheme,
        onLang(next) { lang = next; label(); },
      },
    })).then((controller) => {
      panel = controller;
      if (pendingIdentity) controller.identify(pendingIdentity);
      return controller;
    });
    return loading;
  };

  const Kefu = {
    version: 1,
    open() { loadPanel().then((p) => { p.open(); setOpen(true); }); },
    close() { if (panel) panel.close(); setOpen(false); },
    toggle() { if (panel && panel.isOpen()) Kefu.close(); else Kefu.open(); },
    identify(data) {
      pendingIdentity = data;
      if (panel) panel.identify(data);
    },
    on(type, fn) {
      if (!listeners[type] || typeof fn !== "function") return () => {};
      listeners[type].add(fn);
      return () => listeners[type].delete(fn);
    },
  };
  window.Kefu = Kefu;
  button.addEventListener("click", () => Kefu.toggle());

  // A returning visitor's conversation is watched from here over a socket of its own: the panel
  // loads only when something arrives for them (or they open it, or their outbox holds a
  // message to send), so a page view costs the launcher alone.
  let watcher = null;
  let watchDelay = 2000;
  const watch = () => {
    if (panel || loading || !hasToken()) return;
    let socket;
    try { socket = new WebSocket(`${origin.replace(/^http/, "ws")}/ws/visitor?key=${encodeURIComponent(key)}`); } catch { return void loadPanel(); }
    watcher = socket;
    const seq = Number(stored_("seq")) || 0;
    socket.onopen = () => socket.send(JSON.stringify({ type: "hello", v: 1, token: stored_("token"), ...(seq > 0 ? { lastSeq: seq } : {}),
      language: lang, page: { url: location.href.slice(0, 2048), referrer: document.referrer.slice(0, 2048) } }));
    socket.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      const c = frame.conversation;
      // Replayed or new messages, a stream, or anything the panel must handle (a refused token).
      if (["message", "stream", "error", "visitor"].includes(frame.type)
        || (frame.type === "welcome" && c && c.lastSeq > Math.max(c.visitorReadSeq || 0, seq))) loadPanel();
      else if (frame.type === "welcome") watchDelay = 2000;
    };
    socket.onclose = () => {
      if (watcher !== socket) return;
      watcher = null;
      setTimeout(watch, watchDelay * (0.5 + Math.random()));
      watchDelay = Math.min(watchDelay * 2, 60000);
    };
  };

  const start = () => {
    setPosition(script.getAttribute("data-position") || (config && config.position));
    if (config) setTheme(config.themeColor);
    const away = config && (config.online === false || config.agentsOnline === false);
    const hide = away && config.offlineBehavior === "hide" && !hasToken();
    label();
    const show = () => { host.hidden = hide; };
    if (css.sheet) show(); else css.onload = css.onerror = show;
    const parent = document.body || document.documentElement;
    if (host.parentNode !== parent) parent.append(host);
    let outbox = [];
    try { outbox = JSON.parse(stored_("outbox") || "[]"); } catch { /* unreadable: nothing to send */ }
    if (hasToken()) { if (Array.isArray(outbox) && outbox.length) loadPanel(); else watch(); }
    for (const [method, ...args] of queued) if (typeof Kefu[method] === "function") Kefu[method](...args);
  };

  fetch(`${origin}/api/v1/widget/config?key=${encodeURIComponent(key)}`, { credentials: "omit" })
    .then((response) => (response.ok || response.status === 404 ? response.json() : null))
    .catch(() => null)
    .then((answer) => {
      // A 404 naming the widget means the key is wrong: no launcher. Any other failure (an
      // older server without the config route) falls back to the settings the socket sends.
      if (answer && answer.status === 404) {
        if (answer.code === "widget-not-found") return;
        answer = null;
      }
      config = answer;
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
      else start();
    });
})();

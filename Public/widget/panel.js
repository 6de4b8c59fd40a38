/**
 * The chat panel, shared by the widget (inside its shadow root) and the full-page chat
 * (/chat/{key}). It loads its stylesheet into the given root, creates the visitor store and
 * renders header, thread, cards and composer from the store's state. It adds no globals and
 * defines no custom elements (a host page's element registry is not ours to fill).
 *
 *   mountPanel({root, key, config?, lang?, mode: "widget" | "page", hooks?}) → Promise<controller>
 *     root    a ShadowRoot (or element) to render into
 *     config  GET /api/v1/widget/config answer, if the launcher has it
 *     hooks   {onUnread(n), onMessage(publicMessage), onClose(), onTheme(color), onLang(lang)}
 *   controller: {open(), close(), isOpen(), identify(data), setLang(lang), lang(), store}
 */
import { el, svg } from "../shared/text.js";
import { createI18n } from "../shared/i18n.js";
import { playChime } from "../shared/chime.js";
import { strings } from "./strings.js";
import { VisitorStore } from "./store.js";
import { renderThread, initial } from "./thread.js";
import { composer, UploadList } from "./composer.js";
import { preChatForm, offlineForm, csatCard } from "./forms.js";

const ORIGIN = new URL(import.meta.url).origin;
const CLOSE = "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z";
const SEND = "M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z";
const CHEVRON = "M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z";

export function accentText(color) {
  const m = /^#?([0-9a-f]{6})$/i.exec(color || "");
  if (!m) return "#fff";
  const n = parseInt(m[1], 16);
  const [r, g, b] = [n >> 16, (n >> 8) & 255, n & 255].map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 ? "#111827" : "#fff";
}

export function safeColor(color) {
  return /^#[0-9a-f]{6}$/i.test(color || "") ? color : "#1f6feb";
}

function loadStyles(root) {
  if (root.querySelector("link[data-kefu-panel]")) return Promise.resolve();
  // In this order: the overlays and the phone layout override the panel's rules.
  return Promise.all(["panel.css", "panel-overlays.css"].map((file) => new Promise((resolve) => {
    const link = el("link", { rel: "stylesheet", href: `${ORIGIN}/widget/${file}`, attrs: { "data-kefu-panel": "" } });
    link.onload = link.onerror = () => resolve();
    root.append(link);
  })));
}

function chime() {
  try {
    playChime(chime.ctx || (chime.ctx = new AudioContext()), 0.08);
  } catch { /* no sound available */ }
}

export async function mountPanel({ root, key, config, lang, mode = "widget", hooks = {} }) {
  await loadStyles(root);
  const i18n = createI18n(strings, { lang, storageKey: "kefu:lang" });
  const t = (k, vars) => i18n.t(k, vars);
  const store = new VisitorStore({ key, origin: ORIGIN, language: i18n.lang });
  if (config) store.state.widget = { ...config };
  let open = mode === "page";
  let raf = 0;
  const view = { cache: new Map() };
  const uploads = new UploadList(() => schedule());
  const originalTitle = document.title;

  // ---- skeleton ------------------------------------------------------------------------
  const panel = el("div", { class: `kefu-panel kp-${mode}`, attrs: { role: mode === "page" ? "main" : "dialog" } });
  const avatar = el("div", { class: "kp-avatar", attrs: { "aria-hidden": "true" } });
  const title = el(mode === "page" ? "h1" : "h2", { class: "kp-title", attrs: { dir: "auto" } });
  const eyebrow = el("p", { class: "kp-eyebrow", attrs: { dir: "auto" } });
  const statusDot = el("span", { class: "kp-dot", attrs: { "aria-hidden": "true" } });
  const statusText = el("span");
  const subtitle = el("p", { class: "kp-subtitle" }, statusDot, statusText);
  const langButton = el("button", { type: "button", class: "kp-head-btn kp-lang", on: { click: () => i18n.setLang(i18n.lang === "en" ? "zh-CN" : "en") } });
  const closeButton = mode === "widget" ? el("button", { type: "button", class: "kp-head-btn", on: { click: () => controller.close() } }, svg(CHEVRON, 22)) : null;
  const header = el("div", { class: "kp-header" }, avatar, el("div", { class: "kp-titles" }, eyebrow, title, subtitle), el("div", { class: "kp-head-actions" }, langButton, closeButton));
  const banner = el("div", { class: "kp-banner", attrs: { role: "status" } });
  // While the bot holds the conversation: who is answering, and the way to a person.
  const botText = el("span", { class: "kp-botbar-text" });
  const humanButton = el("button", {
    type: "button", class: "kp-botbar-button",
    on: { click: () => { humanButton.disabled = true; store.askForPerson().catch(() => {}).finally(() => { humanButton.disabled = false; }); } },
  });
  const botBar = el("div", { class: "kp-botbar", hidden: true }, botText, humanButton);
  const older = el("button", { type: "button", class: "kp-older", on: { click: () => { keepOlder = true; store.loadOlder(); } } });
  const list = el("div", { class: "kp-list" });
  const cardSlot = el("div", { class: "kp-card-slot" });
  const offlineNote = el("p", { class: "kp-event kp-offline-sent", hidden: true });
  const body = el("div", { class: "kp-body", tabIndex: 0, attrs: { role: "region" } }, older, list, offlineNote, cardSlot);
  const notice = el("div", { class: "kp-notice", attrs: { role: "alert" } });
  const footerSlot = el("div", { class: "kp-footer" });
  const powered = el("div", { class: "kp-powered" });
  const live = el("div", { class: "kp-sr", attrs: { "aria-live": "polite" } });
  const dropHint = el("div", { class: "kp-drop", attrs: { "aria-hidden": "true" } });
  const lightbox = el("div", { class: "kp-lightbox", hidden: true });
  panel.append(header, banner, botBar, body, notice, footerSlot, powered, live, dropHint, lightbox);
  root.append(panel);
  panel.hidden = !open;

  const ctx = {
    t, store, origin: ORIGIN, key, panel, uploads, lang: () => i18n.lang,
    notify(text) {
      notice.replaceChildren(el("span", { text }), el("button", { type: "button", class: "kp-link", text: t("upload.dismiss"), on: { click: () => { notice.replaceChildren(); } } }));
      clearTimeout(ctx.noticeTimer);
      ctx.noticeTimer = setTimeout(() => notice.replaceChildren(), 8000);
    },
    canUpload: () => !!store.state.conversation && store.state.conversation.status !== "resolved",
  };
  let input = composer(ctx);
  let cardKey = "";
  let keepOlder = false;
  let introCard = null;
  let lastOutboxCount = 0;

  // ---- rendering -----------------------------------------------------------------------
  function schedule() {
    if (!raf) raf = requestAnimationFrame(render);
  }

  function widgetName() {
    return store.state.widget.name || t("thread.agent");
  }

  function which() {
    const { widget, conversation, profileDone } = store.state;
    const known = store.welcomedOnce || config;
    if (!known) return "none";
    if (conversation?.status === "resolved" && !store.state.fresh) return `csat:${conversation.id}:${conversation.csatRating || 0}`;
    if (conversation || store.outbox.list().length || store.state.fresh) return "composer";
    const away = widget.online === false || widget.agentsOnline === false;
    // A bot that answers now makes the offline form unnecessary.
    if (away && widget.offlineBehavior !== "hide" && !widget.bot) return "offline";
    if ((widget.preChatFields || []).length && !profileDone) return "prechat";
    return "composer";
  }

  function render() {
    raf = 0;
    const state = store.state;
    const { widget, conversation } = state;
    const color = safeColor(widget.themeColor);
    panel.style.setProperty("--kefu-accent", color);
    panel.style.setProperty("--kefu-on-accent", accentText(color));
    hooks.onTheme?.(color);
    panel.setAttribute("aria-label", t("panel.label", { name: widgetName() }));
    body.setAttribute("aria-label", t("thread.label"));
    langButton.textContent = t("header.language");
    langButton.setAttribute("aria-label", t("header.languageLabel"));
    langButton.lang = i18n.lang === "en" ? "zh-CN" : "en";
    if (closeButton) closeButton.setAttribute("aria-label", t("header.close"));
    powered.textContent = t("powered");
    dropHint.textContent = t("composer.drop");

    // header
    const agentName = conversation && conversation.status !== "resolved" ? conversation.assigneeName : null;
    avatar.textContent = initial(agentName || widgetName());
    avatar.classList.toggle("kp-avatar-agent", !!agentName);
    const intro = !conversation && !state.messages.length && !store.outbox.list().length && !uploads.items.length;
    panel.classList.toggle("kp-intro", intro);
    eyebrow.textContent = widgetName();
    title.textContent = intro ? widget.greeting || t("thread.greeting") : agentName || widgetName();
    const away = widget.online === false || widget.agentsOnline === false;
    let status = agentName ? t("header.fromTeam", { name: widgetName() }) : t(widget.online === false ? "status.offline" : widget.agentsOnline === false ? "status.noAgents" : "status.online");
    let tone = away && !agentName ? "away" : "online";
    if (state.connection !== "open") {
      status = t(state.connection === "reconnecting" ? "status.reconnecting" : "status.connecting");
      tone = "connecting";
    }
    statusText.textContent = status;
    subtitle.dataset.tone = tone;

    // banner: reconnecting, or the queue
    let bannerText = "";
    if (state.connection === "reconnecting") bannerText = t("status.reconnecting");
    else if (conversation?.status === "queued") bannerText = state.queuePosition ? t("queue.position", { n: state.queuePosition }) : t("queue.waiting");
    banner.textContent = bannerText;
    banner.hidden = !bannerText;
    const withBot = conversation?.status === "bot";
    botBar.hidden = !withBot;
    botText.textContent = withBot ? t("bot.chattingWith", { name: widgetName() }) : "";
    humanButton.textContent = t("bot.human");
    banner.dataset.tone = state.connection === "reconnecting" ? "warn" : "info";

    // thread
    const atBottom = stick;
    const fromBottom = body.scrollHeight - body.scrollTop;
    older.hidden = !state.hasOlder;
    older.disabled = state.loadingOlder;
    older.textContent = t("thread.older");
    Object.assign(view, {
      t, lang: i18n.lang, origin: ORIGIN, conversation, widgetName: widgetName(),
      greeting: widget.greeting || t("thread.greeting"), intro, hasOlder: state.hasOlder,
      messages: state.messages, outbox: store.outbox.list().map((item) => ({ ...item, senderType: "visitor" })), uploads: uploads.items,
      typing: state.typing, agentReadSeq: state.agentReadSeq, stream: state.stream,
      onRetry: (id) => store.retry(id), onDiscard: (id) => store.discard(id), onOpenImage: showImage,
    });
    renderThread(list, view);

    const showOfflineNote = !!(state.offlineEmail && away && conversation && conversation.status !== "resolved" && !agentName);
    offlineNote.hidden = !showOfflineNote;
    offlineNote.textContent = showOfflineNote ? t("offline.sent", { email: state.offlineEmail }) : "";

    // the card or the composer
    const kind = which();
    const nextKey = `${kind}:${i18n.lang}`;
    if (nextKey !== cardKey) {
      cardKey = nextKey;
      const cardCtx = { t, store, widget, conversation };
      const card = kind === "prechat" ? preChatForm(cardCtx) : kind === "offline" ? offlineForm(cardCtx) : kind.startsWith("csat") ? csatCard(cardCtx) : null;
      introCard = null;
      cardSlot.replaceChildren(...(card ? [card] : []));
      if (kind === "composer") {
        const value = footerSlot.querySelector("textarea")?.value || "";
        input = composer(ctx);
        input.node.querySelector("textarea").value = value;
        footerSlot.replaceChildren(input.node);
        if (open && mode !== "page") input.focus();
      } else {
        footerSlot.replaceChildren();
        const active = root.activeElement;
        if (card && open && (!active || !panel.contains(active))) (card.querySelector("input") || card).focus({ preventScroll: true });
      }
    }
    if (intro && which() === "composer") {
      if (!introCard) {
        introCard = el("button", { type: "button", class: "kp-card kp-intro-card", on: { click: () => footerSlot.querySelector("textarea")?.focus() } },
          el("span", { class: "kp-intro-text" }, el("span", { class: "kp-card-title", text: t("intro.title") }), el("span", { class: "kp-intro-status" })),
          el("span", { class: "kp-intro-icon" }, svg(SEND, 18)));
        cardSlot.replaceChildren(introCard);
      }
      introCard.querySelector(".kp-intro-status").textContent = t(widget.online === false ? "status.offline" : widget.agentsOnline === false ? "status.noAgents" : "status.online");
    } else if (introCard) {
      introCard.remove();
      introCard = null;
    }
    if (keepOlder && !state.loadingOlder) {
      body.scrollTop = body.scrollHeight - fromBottom;
      keepOlder = false;
    } else if (atBottom || view.outbox.length > lastOutboxCount) {
      body.scrollTop = body.scrollHeight;
    }
    lastOutboxCount = view.outbox.length;
    updateUnread();
  }

  // ---- unread, title, sound ------------------------------------------------------------
  let lastUnread = -1;
  function visible() { return open && document.visibilityState === "visible"; }
  function updateUnread() {
    if (visible()) store.markRead();
    const unread = visible() ? 0 : store.unreadCount();
    if (unread === lastUnread) return;
    lastUnread = unread;
    hooks.onUnread?.(unread);
    document.title = unread ? `${t("title.unread", { n: unread })} · ${originalTitle}` : originalTitle;
  }

  store.addEventListener("change", schedule);
  store.outbox.addEventListener("change", schedule);
  store.addEventListener("message", (event) => {
    const message = event.detail;
    if (message.kind !== "text" && message.kind !== "attachment") return;
    const name = message.senderName || store.state.conversation?.assigneeName || t("thread.agent");
    const text = message.kind === "text" ? message.text : t("thread.image", { name: "" }).replace(/[:：]\s*$/, "");
    live.textContent = t("thread.newMessage", { name, text: text.slice(0, 200) });
    if (!visible()) chime();
    hooks.onMessage?.({ id: message.id, seq: message.seq, kind: message.kind, text: message.text, senderType: message.senderType, senderName: name, createdAt: message.createdAt });
  });
  document.addEventListener("visibilitychange", () => schedule());
  i18n.onChange((next) => {
    store.language = next;
    view.cache.clear();
    cardKey = "";
    hooks.onLang?.(next);
    schedule();
  });
  let stick = true;
  body.addEventListener("load", () => { if (stick) body.scrollTop = body.scrollHeight; }, true);
  body.addEventListener("scroll", () => {
    stick = body.scrollHeight - body.scrollTop - body.clientHeight < 40;
    if (body.scrollTop < 60 && store.state.hasOlder) {
      keepOlder = true;
      store.loadOlder();
    }
  }, { passive: true });

  // ---- lightbox --------------------------------------------------------------------------
  function showImage(href, name) {
    const img = el("img", { src: href, alt: name });
    const close = el("button", { type: "button", class: "kp-lightbox-close", "aria-label": t("lightbox.close") }, svg(CLOSE, 22));
    const previous = root.activeElement;
    const hide = () => { lightbox.hidden = true; lightbox.replaceChildren(); previous?.focus?.(); };
    close.addEventListener("click", hide);
    lightbox.onclick = (event) => { if (event.target === lightbox) hide(); };
    lightbox.onkeydown = (event) => { if (event.key === "Escape") { event.stopPropagation(); hide(); } };
    lightbox.setAttribute("role", "dialog");
    lightbox.setAttribute("aria-label", name);
    lightbox.replaceChildren(close, img);
    lightbox.hidden = false;
    close.focus();
  }

  // ---- phones: keep the composer above the on-screen keyboard ---------------------------
  const vv = window.visualViewport;
  const fullScreen = matchMedia(mode === "page" ? "(max-width: 639px)" : "(max-width: 480px)");
  function fit() {
    if (!vv || !fullScreen.matches || !open) {
      panel.style.height = "";
      panel.style.top = "";
      return;
    }
    panel.style.height = `${vv.height}px`;
    panel.style.top = `${vv.offsetTop}px`;
    if (body.scrollHeight - body.scrollTop - body.clientHeight < 80) body.scrollTop = body.scrollHeight;
  }
  vv?.addEventListener("resize", fit);
  vv?.addEventListener("scroll", fit);
  fullScreen.addEventListener?.("change", fit);

  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && mode === "widget" && lightbox.hidden) controller.close();
  });

  const controller = {
    store,
    isOpen: () => open,
    open() {
      store.start();
      open = true;
      panel.hidden = false;
      panel.classList.remove("kp-leaving");
      fit();
      render();
      body.scrollTop = body.scrollHeight;
      const target = footerSlot.querySelector("textarea") || cardSlot.querySelector("input, textarea, button");
      (target || closeButton)?.focus({ preventScroll: true });
    },
    close() {
      if (mode === "page") return;
      open = false;
      panel.hidden = true;
      fit();
      schedule();
      hooks.onClose?.();
    },
    identify(data) { store.identify(data || {}); },
    setLang(next) { i18n.setLang(next); },
    lang: () => i18n.lang,
  };
  if (store.token || mode === "page") store.start();
  render();
  if (open) controller.open();
  return controller;
}

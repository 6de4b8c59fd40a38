/**
 * The panel's cards that replace the composer: the pre-chat form (the widget's preChatFields),
 * the offline form (outside business hours or with nobody online, when offlineBehavior is
 * "leave_message"), and CSAT after a resolve with "start a new conversation".
 *
 *   preChatForm(ctx), offlineForm(ctx), csatCard(ctx) → Element
 *   ctx: {t, store, widget, focus} — labels come from the widget's settings, set as text.
 */
import { el, svg } from "../shared/text.js";

const STAR = "M12 17.3l-6.2 3.7 1.6-7L2 9.2l7.1-.6L12 2l2.9 6.6 7.1.6-5.4 4.8 1.6 7z";
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
let uid = 0;

function field({ label, name, type, required, multiline }, t) {
  uid += 1;
  const id = `kp-f${uid}`;
  const errorId = `${id}-e`;
  const input = multiline
    ? el("textarea", { id, name, rows: 4, required, attrs: { "aria-describedby": errorId, dir: "auto" } })
    : el("input", {
      id, name, required, type: type === "email" ? "email" : type === "phone" ? "tel" : "text",
      autocomplete: type === "email" ? "email" : type === "phone" ? "tel" : name === "name" ? "name" : "off",
      attrs: { "aria-describedby": errorId, dir: "auto" },
    });
  const labelNode = el("label", { htmlFor: id, class: "kp-label" }, el("span", { text: label }));
  if (required) labelNode.append(el("span", { class: "kp-required", text: ` · ${t("prechat.required")}` }));
  const error = el("div", { class: "kp-field-error", id: errorId });
  return { node: el("div", { class: "kp-field" }, labelNode, input, error), input, error, type, required, name };
}

function validate(fields, t) {
  let firstBad = null;
  for (const f of fields) {
    const value = f.input.value.trim();
    let message = "";
    if (f.required && !value) message = t("prechat.missing");
    else if (value && f.type === "email" && !EMAIL.test(value)) message = t("prechat.invalidEmail");
    f.error.textContent = message;
    f.input.setAttribute("aria-invalid", message ? "true" : "false");
    if (message && !firstBad) firstBad = f.input;
  }
  firstBad?.focus();
  return !firstBad;
}

function toProfile(fields) {
  const profile = {};
  const attributes = {};
  for (const f of fields) {
    const value = f.input.value.trim();
    if (!value) continue;
    if (["name", "email", "phone"].includes(f.name)) profile[f.name] = value;
    else attributes[f.name] = value;
  }
  if (Object.keys(attributes).length) profile.attributes = attributes;
  return profile;
}

function submitButton(text) {
  return el("button", { type: "submit", class: "kp-primary", text });
}

function busy(form, on) {
  for (const control of form.elements) control.disabled = on;
  form.setAttribute("aria-busy", on ? "true" : "false");
}

export function preChatForm({ t, store, widget }) {
  const fields = (widget.preChatFields || []).map((f) => field({ label: f.label || f.name, name: f.name, type: f.type, required: !!f.required }, t));
  const status = el("div", { class: "kp-form-error", attrs: { role: "alert" } });
  const form = el("form", { class: "kp-card kp-form", noValidate: true, "aria-label": t("prechat.intro") },
    el("p", { class: "kp-card-intro", text: t("prechat.intro") }), fields.map((f) => f.node), status, submitButton(t("prechat.submit")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!validate(fields, t)) return;
    busy(form, true);
    store.submitProfile(toProfile(fields)).catch(() => {
      busy(form, false);
      status.textContent = t("error.generic");
    });
  });
  return form;
}

export function offlineForm({ t, store }) {
  const fields = [
    field({ label: t("offline.name"), name: "name", type: "text" }, t),
    field({ label: t("offline.email"), name: "email", type: "email", required: true }, t),
  ];
  const message = field({ label: t("offline.message"), name: "message", type: "text", required: true, multiline: true }, t);
  const status = el("div", { class: "kp-form-error", attrs: { role: "alert" } });
  const form = el("form", { class: "kp-card kp-form", noValidate: true, "aria-label": t("offline.title") },
    el("h3", { class: "kp-card-title", text: t("offline.title") }),
    el("p", { class: "kp-card-intro", text: t("offline.intro") }),
    fields.map((f) => f.node), message.node, status, submitButton(t("offline.submit")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!validate([...fields, message], t)) return;
    busy(form, true);
    const profile = toProfile(fields);
    store.submitProfile(profile).then(() => {
      store.remember("offlineEmail", profile.email);
      store.state.offlineEmail = profile.email;
      store.send(message.input.value);
    }, () => {
      busy(form, false);
      status.textContent = t("error.generic");
    });
  });
  return form;
}

export function csatCard({ t, store, conversation }) {
  const card = el("div", { class: "kp-card kp-csat", tabIndex: -1 });
  const startNew = el("button", { type: "button", class: "kp-primary", text: t("csat.new"), on: { click: () => store.startNew() } });
  if (conversation.csatRating) {
    card.append(el("p", { class: "kp-card-title", text: t("csat.thanks") }), renderStars(conversation.csatRating, t, null), startNew);
    return card;
  }
  let chosen = 0;
  const comment = el("textarea", { rows: 2, class: "kp-csat-comment", placeholder: t("csat.comment"), "aria-label": t("csat.comment"), attrs: { dir: "auto" }, maxLength: 1000 });
  const submit = el("button", { type: "submit", class: "kp-primary", text: t("csat.submit"), disabled: true });
  const status = el("div", { class: "kp-form-error", attrs: { role: "alert" } });
  const stars = renderStars(0, t, (n) => {
    chosen = n;
    submit.disabled = false;
    comment.hidden = false;
  });
  comment.hidden = true;
  const form = el("form", { class: "kp-csat-form", "aria-label": t("csat.title") }, stars, comment, status, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!chosen) return;
    busy(form, true);
    store.rate(chosen, comment.value.trim()).catch(() => {
      busy(form, false);
      status.textContent = t("error.generic");
    });
  });
  card.append(el("p", { class: "kp-card-subtle", text: t("csat.resolved") }), el("p", { class: "kp-card-title", id: "kp-csat-title", text: t("csat.title") }), form,
    el("div", { class: "kp-csat-new" }, el("button", { type: "button", class: "kp-link", text: t("csat.new"), on: { click: () => store.startNew() } })));
  return card;
}

function renderStars(value, t, onPick) {
  const group = el("div", { class: "kp-stars", attrs: { role: onPick ? "radiogroup" : "img", "aria-label": onPick ? t("csat.title") : t("csat.star", { n: value }) } });
  const buttons = [];
  const paint = (n) => buttons.forEach((b, i) => b.classList.toggle("kp-on", i < n));
  for (let n = 1; n <= 5; n += 1) {
    const star = onPick
      ? el("button", { type: "button", class: "kp-star", attrs: { role: "radio", "aria-checked": "false", "aria-label": t("csat.star", { n }) } }, svg(STAR, 30))
      : el("span", { class: "kp-star" }, svg(STAR, 22));
    if (onPick) {
      star.tabIndex = n === 1 ? 0 : -1;
      star.addEventListener("click", () => {
        buttons.forEach((b, i) => { b.setAttribute("aria-checked", String(i === n - 1)); b.tabIndex = i === n - 1 ? 0 : -1; });
        group.dataset.value = String(n);
        paint(n);
        onPick(n);
      });
      star.addEventListener("mouseenter", () => paint(n));
      star.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[event.key];
        if (!step) return;
        event.preventDefault();
        const next = buttons[Math.min(4, Math.max(0, n - 1 + step))];
        next.focus();
        next.click();
      });
    }
    buttons.push(star);
    group.append(star);
  }
  if (onPick) group.addEventListener("mouseleave", () => paint(Number(group.dataset.value || 0)));
  paint(value);
  return group;
}

// Demo shop behaviour: the page in en or zh-CN (the visitor's earlier choice, shared with the
// widget under "kefu:lang", else the browser's languages), a language button, "Ask a question"
// buttons that open the Kefu widget, and a pretend cart.
//
// The page's HTML carries the English text; an element names its string with data-i18n (its
// text) and data-i18n-label (its aria-label, with {name} from data-i18n-name). Children marked
// data-i18n-slot="x" keep their element and take the place of {x} in the parent's sentence.
import { createI18n } from "/shared/i18n.js";
import { strings } from "/demo/strings.js";

const i18n = createI18n(strings, { storageKey: "kefu:lang" });
const t = (key, vars) => i18n.t(key, vars);

function cartCount() {
  return Number(document.querySelector(".cart-count")?.textContent) || 0;
}

function fill(element, template) {
  const slots = new Map([...element.querySelectorAll(":scope > [data-i18n-slot]")].map((slot) => [slot.dataset.i18nSlot, slot]));
  if (!slots.size) {
    element.textContent = template;
    return;
  }
  const parts = template.split(/\{(\w+)\}/);
  element.replaceChildren(...parts.map((part, index) => (index % 2 ? slots.get(part) ?? `{${part}}` : part)));
}

function translate() {
  document.documentElement.lang = i18n.lang;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    const key = element.classList.contains("added") ? "shop.added" : element.dataset.i18n;
    fill(element, t(key));
  }
  for (const element of document.querySelectorAll("[data-i18n-label]")) {
    const key = element.dataset.i18nLabel;
    const vars = {};
    if (element.dataset.i18nName) vars.name = t(element.dataset.i18nName);
    const n = element.hasAttribute("data-i18n-count") ? cartCount() : null;
    element.setAttribute("aria-label", n === null ? t(key, vars) : t(n === 1 && strings[i18n.lang][`${key}1`] ? `${key}1` : key, { n }));
  }
  // The button names the other language, in that language.
  document.querySelector("[data-switch-language]")?.setAttribute("lang", i18n.lang === "en" ? "zh-CN" : "en");
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (target?.closest("[data-open-chat]")) {
    window.Kefu?.open();
    return;
  }
  if (target?.closest("[data-switch-language]")) {
    // The widget reads the same choice when it loads: reload so the page and the chat agree.
    i18n.setLang(i18n.lang === "en" ? "zh-CN" : "en");
    location.reload();
    return;
  }
  const add = target?.closest(".add");
  if (add && !add.classList.contains("added")) {
    add.classList.add("added");
    add.textContent = t("shop.added");
    const count = document.querySelector(".cart-count");
    count.textContent = String(cartCount() + 1);
    translate();
  }
});

translate();

/**
 * The language switcher: a labelled <select> of the workspace's languages that calls setLanguage.
 * Views listen to languageEvents and render themselves again.
 */
import { h, uid } from "./dom.js";
import { icon } from "./icons.js";
import { language, languages, setLanguage, t } from "./strings.js";

export function languageSelect({ compact = false } = {}) {
  const id = uid("lang");
  const select = h("select", { id, class: "select select-language", onchange: (event) => setLanguage(event.target.value) },
    languages.map(({ code, name }) => h("option", { value: code, selected: code === language(), lang: code }, name)));
  return h("div", { class: compact ? "language-select compact" : "language-select" },
    h("label", { for: id, class: compact ? "visually-hidden" : "language-label" }, icon("globe", 16), h("span", { class: compact ? "" : "visually-hidden" }, t("app.language"))),
    select);
}

/**
 * The workspace's language, on the shared i18n module: chosen from the viewer's earlier choice
 * or navigator.languages, switchable at run time. t(key, vars) fills {placeholders} with plain
 * strings; callers put the result in textContent, never in HTML.
 */
import { createI18n } from "../shared/i18n.js";
import en from "./i18n/en.js";
import zhCN from "./i18n/zh-CN.js";

const i18n = createI18n({ en, "zh-CN": zhCN }, { storageKey: "kefu:app:lang" });

/** Every language the workspace speaks, in the order the switcher lists them. */
export const languages = [
  { code: "en", name: "English" },
  { code: "zh-CN", name: "简体中文" },
];

/** Fires "change" (detail: the new code) after setLanguage. */
export const languageEvents = new EventTarget();

document.documentElement.lang = i18n.lang;
i18n.onChange((code) => {
  document.documentElement.lang = code;
  languageEvents.dispatchEvent(new CustomEvent("change", { detail: code }));
});

export const language = () => i18n.lang;
export const setLanguage = (code) => i18n.setLang(code);
export const t = (key, vars) => i18n.t(key, vars);

/**
 * i18n — one string table per surface, chosen from the browser's languages and switchable.
 * Shared by the widget and the agent workspace; the API below is stable (additions only).
 *
 *   const i18n = createI18n(table, {lang?, storageKey?})
 *     table       {en: {"composer.send": "Send", "queue.position": "You are number {n} in line"},
 *                  "zh-CN": {…}}  — keys named for their place; whole sentences, never glued
 *     lang        forced language (e.g. a data-lang attribute); else the stored choice, else
 *                 navigator.languages
 *     storageKey  localStorage key remembering an explicit setLang() (optional)
 *   i18n.t(key, vars?)   → string; "{name}" placeholders filled from vars; falls back to en,
 *                          then to the key itself. In Chinese a value that starts or ends with a
 *                          Latin letter or digit next to a Han character gets a space there
 *                          ("Owner 已加入对话", "王小明已加入对话"), as Chinese typesetting does
 *   i18n.lang            the current language (a key of table)
 *   i18n.langs           the available languages
 *   i18n.setLang(lang)   switch (and remember); listeners are called
 *   i18n.onChange(fn)    → unsubscribe function; fn(lang)
 *   pickLanguage(available, preferred = navigator.languages) → best match, e.g. "zh", "zh-Hans",
 *                          "zh-TW" → "zh-CN"; "en-GB" → "en"; default available[0]
 */
export function pickLanguage(available, preferred = navigator.languages || [navigator.language]) {
  for (const wanted of preferred) {
    if (!wanted) continue;
    const lower = String(wanted).toLowerCase();
    const exact = available.find((lang) => lang.toLowerCase() === lower);
    if (exact) return exact;
    const base = lower.split("-")[0];
    const sameBase = available.find((lang) => lang.toLowerCase().split("-")[0] === base);
    if (sameBase) return sameBase;
  }
  return available[0];
}

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;
const LATIN = /[A-Za-z0-9]/;

/** `value` with a space on a side where it meets a Han character with a Latin one. */
function spacedBetweenScripts(value, before, after) {
  if (!value) return value;
  let out = value;
  if (before && HAN.test(before) && LATIN.test(value[0])) out = " " + out;
  if (after && HAN.test(after) && LATIN.test(value[value.length - 1])) out += " ";
  return out;
}

export function createI18n(table, options = {}) {
  const langs = Object.keys(table);
  const listeners = new Set();
  let stored = null;
  try {
    stored = options.storageKey ? localStorage.getItem(options.storageKey) : null;
  } catch { /* no storage */ }
  const preferred = [options.lang, stored, ...(navigator.languages || [navigator.language])];
  const i18n = {
    langs,
    lang: pickLanguage(langs, preferred),
    t(key, vars) {
      const text = table[i18n.lang]?.[key] ?? table.en?.[key] ?? key;
      if (!vars) return text;
      const spaced = i18n.lang.startsWith("zh");
      return text.replace(/\{(\w+)\}/g, (whole, name, offset) => {
        if (!(name in vars)) return whole;
        const value = String(vars[name]);
        return spaced ? spacedBetweenScripts(value, text[offset - 1], text[offset + whole.length]) : value;
      });
    },
    setLang(lang) {
      const next = pickLanguage(langs, [lang]);
      try {
        if (options.storageKey) localStorage.setItem(options.storageKey, next);
      } catch { /* no storage */ }
      if (next === i18n.lang) return;
      i18n.lang = next;
      for (const fn of listeners) fn(next);
    },
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  return i18n;
}

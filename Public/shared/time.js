/**
 * time — dates, times and sizes in the viewer's locale and time zone (Intl only). Shared by the
 * widget and the agent workspace; the API below is stable (additions only).
 *
 *   formatTime(date, lang)        → "14:05" / "下午2:05" (hour and minute)
 *   formatDay(date, lang, now?)   → "today" / "yesterday" / "Mon, Nov 23" / "Nov 23, 2025"
 *                                   (day separators; capitalise in CSS if wanted)
 *   formatDateTime(date, lang)    → full date and time, for title tooltips
 *   formatRelative(date, lang, now?) → "now", "5 min. ago", "3 hr. ago", "2 days ago"…
 *   formatBytes(bytes, lang)      → "18 KB", "2.4 MB"
 *   sameDay(a, b)                 → boolean (viewer's time zone)
 * date: a Date, an ISO string or milliseconds. Invalid dates format as "".
 */
const cache = new Map();

/**
 * The viewer's own regional form of the page's language, for formats: an English page read in
 * Britain shows "1 Dec 2026, 09:05", in the United States "Dec 1, 2026, 9:05 AM". The page's
 * language itself when the browser prefers none of its forms.
 */
export function viewerLocale(lang) {
  const primary = String(lang).split("-")[0].toLowerCase();
  const preferred = (typeof navigator !== "undefined" && navigator.languages) || [];
  return preferred.find((tag) => tag.split("-")[0].toLowerCase() === primary) ?? lang;
}

function format(lang, options) {
  const key = lang + JSON.stringify(options);
  if (!cache.has(key)) cache.set(key, new Intl.DateTimeFormat(viewerLocale(lang), options));
  return cache.get(key);
}

/** One Intl.RelativeTimeFormat per language and style: making one costs more than formatting. */
function relative(lang, style) {
  const key = `relative:${lang}:${style}`;
  if (!cache.has(key)) cache.set(key, new Intl.RelativeTimeFormat(viewerLocale(lang), { numeric: "auto", style }));
  return cache.get(key);
}

function toDate(date) {
  const value = date instanceof Date ? date : new Date(date);
  return Number.isNaN(value.getTime()) ? null : value;
}

export function sameDay(a, b) {
  const x = toDate(a);
  const y = toDate(b);
  return !!x && !!y && x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

export function formatTime(date, lang) {
  const value = toDate(date);
  return value ? format(lang, { hour: "numeric", minute: "2-digit" }).format(value) : "";
}

export function formatDateTime(date, lang) {
  const value = toDate(date);
  return value ? format(lang, { dateStyle: "medium", timeStyle: "short" }).format(value) : "";
}

export function formatDay(date, lang, now = new Date()) {
  const value = toDate(date);
  if (!value) return "";
  const midnight = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((midnight(value) - midnight(now)) / 86400000);
  if (days === 0 || days === -1) return relative(lang, "long").format(days, "day");
  const options = value.getFullYear() === now.getFullYear()
    ? { weekday: "short", month: "short", day: "numeric" }
    : { year: "numeric", month: "short", day: "numeric" };
  return format(lang, options).format(value);
}

export function formatRelative(date, lang, now = new Date()) {
  const value = toDate(date);
  if (!value) return "";
  const seconds = Math.round((value.getTime() - now.getTime()) / 1000);
  const rtf = relative(lang, "short");
  const abs = Math.abs(seconds);
  if (abs < 45) return rtf.format(0, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  if (abs < 86400 * 30) return rtf.format(Math.round(seconds / 86400), "day");
  return formatDay(value, lang, now);
}

export function formatBytes(bytes, lang) {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte"];
  let value = Math.max(0, Number(bytes) || 0);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(viewerLocale(lang), {
    style: "unit", unit: units[unit], unitDisplay: unit ? "short" : "narrow",
    maximumFractionDigits: value < 10 && unit > 0 ? 1 : 0,
  }).format(value);
}

/**
 * A readable device from a User-Agent string ("Chrome 120 on macOS", mobile or desktop), for the
 * visitor panel. Heuristics only; an unknown string reads as "Unknown device".
 */
const browsers = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/MicroMessenger\/(\d+)/, "WeChat"],
  [/OPR\/(\d+)/, "Opera"],
  [/SamsungBrowser\/(\d+)/, "Samsung Internet"],
  [/UCBrowser\/(\d+)/, "UC Browser"],
  [/QQBrowser\/(\d+)/, "QQ Browser"],
  [/Firefox\/(\d+)/, "Firefox"],
  [/FxiOS\/(\d+)/, "Firefox"],
  [/CriOS\/(\d+)/, "Chrome"],
  [/(?:Chrome|Chromium)\/(\d+)/, "Chrome"],
  [/Version\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari/, "Safari"],
];

const systems = [
  [/Windows NT 10/, "Windows"],
  [/Windows NT/, "Windows"],
  [/iPhone OS (\d+)/, "iOS"],
  [/iPad.*OS (\d+)/, "iPadOS"],
  [/CPU OS (\d+)/, "iPadOS"],
  [/Mac OS X/, "macOS"],
  [/Android (\d+)/, "Android"],
  [/HarmonyOS/, "HarmonyOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

export function parseUserAgent(ua) {
  const text = String(ua ?? "");
  if (!text) return null;
  let browser = null;
  for (const [pattern, name] of browsers) {
    const match = text.match(pattern);
    if (match) { browser = match[1] ? `${name} ${match[1]}` : name; break; }
  }
  let os = null;
  for (const [pattern, name] of systems) {
    const match = text.match(pattern);
    if (match) { os = match[1] ? `${name} ${match[1]}` : name; break; }
  }
  const type = /iPad|Tablet/.test(text) ? "tablet" : /Mobi|iPhone|Android/.test(text) ? "mobile" : "desktop";
  if (!browser && !os) return null;
  return { browser: browser ?? "Browser", os: os ?? "?", type };
}

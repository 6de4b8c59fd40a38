// The front door: the way to the agent workspace and the demo site, and whether this Kefu server and
// its database are ready, in zh-CN or English.
const strings = {
  en: { tagline: "Self-hosted customer service.", server: "Server", database: "Database",
        api: "API reference (OpenAPI)", up: "running", ready: "ready", down: "not ready",
        workspace: "Agent workspace", workspaceHint: "Sign in and answer visitors",
        demo: "Demo site", demoHint: "A sample shop with the chat widget" },
  "zh-CN": { tagline: "私有部署的在线客服系统。", server: "服务", database: "数据库",
             api: "接口文档（OpenAPI）", up: "运行中", ready: "就绪", down: "未就绪",
             workspace: "客服工作台", workspaceHint: "登录并接待访客",
             demo: "演示网站", demoHint: "嵌入了聊天窗口的示例商店" },
};
const locale = navigator.language.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
const t = strings[locale];
document.documentElement.lang = locale;
for (const element of document.querySelectorAll("[data-i18n]")) {
  element.textContent = t[element.dataset.i18n];
}

function show(id, ok, text) {
  const element = document.getElementById(id);
  element.textContent = text;
  element.className = ok ? "ok" : "bad";
}

async function refresh() {
  try {
    const health = await fetch("/healthz");
    show("health", health.ok, health.ok ? t.up : t.down);
    const ready = await fetch("/readyz");
    const body = await ready.json();
    show("ready", ready.ok, ready.ok ? t.ready : `${t.down}: ${body.detail ?? ""}`);
    const info = await (await fetch("/api/v1/info")).json();
    document.getElementById("version").textContent = `v${info.version}`;
  } catch (error) {
    show("health", false, t.down);
  }
}
refresh();
setInterval(refresh, 10000);

/**
 * The workspace's entry: asks the server who is signed in, then mounts <kefu-sign-in> or
 * <kefu-workspace>, and goes back to the sign-in when the session ends (a 401 anywhere, or
 * sign-out).
 */
import { apiEvents, get } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./strings.js";
import "./sign-in.js";

const root = document.getElementById("root");
let workspace = null;

function showSignIn(message) {
  if (workspace) {
    workspace.remove();
    workspace = null;
  }
  document.title = t("app.name");
  const signIn = h("kefu-sign-in");
  if (message) signIn.message = message;
  signIn.addEventListener("signed-in", () => boot());
  root.className = "";
  root.removeAttribute("aria-busy");
  replace(root, signIn);
}

async function showWorkspace(me) {
  await import("./workspace.js");
  workspace = h("kefu-workspace");
  workspace.me = me;
  workspace.addEventListener("signed-out", () => showSignIn());
  root.className = "";
  root.removeAttribute("aria-busy");
  replace(root, workspace);
}

async function boot() {
  let me;
  try {
    me = await get("/api/v1/me", undefined, { quiet401: true });
  } catch (error) {
    if (error.status === 401) return showSignIn();
    root.removeAttribute("aria-busy");
    root.className = "boot-error";
    replace(root, h("p", { role: "alert" }, t("error.generic", { code: error.code })),
      h("button", { class: "button button-primary", onclick: () => boot() }, t("list.retry")));
    return;
  }
  await showWorkspace(me);
}

apiEvents.addEventListener("unauthenticated", () => {
  if (workspace) showSignIn(t("error.sessionExpired"));
});

boot();

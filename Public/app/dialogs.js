/**
 * Modal dialogs on the native <dialog> element (focus kept inside, Escape closes, focus returns
 * to where it was): assign or transfer, snooze until a time, the keyboard shortcut list, and an
 * image viewer. Names and file names are set as text.
 */
import { h, replace, uid } from "./dom.js";
import { icon } from "./icons.js";
import { avatar } from "./names.js";
import { t } from "./strings.js";
import { viewKeys } from "./conversation-views.js";

function modal(title, body, { className = "", onClose } = {}) {
  const titleId = uid("dialog-title");
  const previous = document.activeElement;
  const dialog = h("dialog", { class: `dialog ${className}`, "aria-labelledby": titleId },
    h("header", { class: "dialog-header" },
      h("h2", { id: titleId, class: "dialog-title" }, title),
      h("button", { type: "button", class: "icon-button", "aria-label": t("shortcuts.close"), onclick: () => dialog.close() }, icon("x", 18))),
    body);
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose?.();
    if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Assign to an agent (assign or transfer) or move to a team's queue. */
export function assignDialog(store, conversation, { onDone } = {}) {
  const directory = store.directory;
  const searchId = uid("assign-search");
  const results = h("div", { class: "assign-results" });
  const search = h("input", { id: searchId, type: "search", class: "input", placeholder: t("assign.search"), autocomplete: "off", oninput: () => draw() });
  let dialog;
  const choose = async (action) => {
    dialog.close();
    try {
      await action();
      onDone?.();
    } catch (error) {
      store.notice(error.code === "conflict" ? t("actions.conflict") : t("actions.failed", { message: error.message }));
    }
  };
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const agents = [...directory.agents.values()]
      .filter((agent) => !q || String(agent.displayName ?? "").toLowerCase().includes(q))
      .sort((a, b) => (a.id === store.userId ? -1 : b.id === store.userId ? 1 : String(a.displayName).localeCompare(String(b.displayName))));
    const teams = [...directory.teams.values()].filter((team) => !q || String(team.name).toLowerCase().includes(q));
    const option = (label, node, current, action) => h("li", null,
      h("button", { type: "button", class: "assign-option", "aria-label": label, "aria-current": current ? "true" : undefined, onclick: () => choose(action) },
        node,
        current ? h("span", { class: "chip" }, t("assign.current")) : null));
    replace(results,
      agents.length ? h("h3", { class: "assign-heading" }, t("assign.agents")) : null,
      agents.length ? h("ul", { class: "assign-list" }, agents.map((agent) => option(
        agent.id === store.userId ? t("assign.me") : t("assign.toAgent", { name: agent.displayName }),
        h("span", { class: "assign-who" },
          avatar(agent.displayName, agent.id, { size: "sm", presence: agent.id === store.userId ? store.presence : agent.presence }),
          h("span", { class: "assign-name" }, agent.displayName),
          agent.id === store.userId ? h("span", { class: "assign-you" }, `(${t("agent.you")})`) : null,
          Number.isInteger(agent.maxConcurrentChats) && agent.id !== store.userId
            ? h("span", { class: "assign-load" }, t("presence.capacity", { count: agent.activeConversations ?? 0, capacity: agent.maxConcurrentChats }))
            : null),
        conversation.assigneeId === agent.id,
        () => store.assignAgent(conversation.id, agent.id)))) : null,
      teams.length ? h("h3", { class: "assign-heading" }, t("assign.teams")) : null,
      teams.length ? h("ul", { class: "assign-list" }, teams.map((team) => option(
        t("assign.toTeam", { name: team.name }),
        h("span", { class: "assign-who" }, h("span", { class: "team-mark", "aria-hidden": "true" }, icon("users", 14)), h("span", { class: "assign-name" }, team.name)),
        conversation.teamId === team.id.toUpperCase() && !conversation.assigneeId,
        () => store.assignTeam(conversation.id, team.id)))) : null,
      !agents.length && !teams.length ? h("p", { class: "assign-empty" }, t("assign.none")) : null,
      !directory.agentsAvailable ? h("p", { class: "assign-empty" }, t("assign.unavailable")) : null);
  };
  draw();
  dialog = modal(t("assign.title"), h("div", { class: "dialog-body" },
    h("label", { for: searchId, class: "visually-hidden" }, t("assign.search")),
    search,
    results), { className: "dialog-assign" });
  search.focus();
  // Colleagues' presence and load change all day: read them fresh for this choice.
  directory.loadAgents().then(() => { if (dialog.open) draw(); }).catch(() => {});
}

function nextMorning(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  date.setHours(9, 0, 0, 0);
  return date;
}

function nextMonday() {
  const date = new Date();
  const add = ((8 - date.getDay()) % 7) || 7;
  return nextMorning(add);
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Snooze until one of a few times or a chosen one (at most 30 days ahead). */
export function snoozeDialog(store, conversation) {
  let dialog;
  const inputId = uid("snooze");
  const errorId = uid("snooze-error");
  const error = h("p", { id: errorId, class: "field-error", role: "alert" });
  const snooze = async (date) => {
    const max = Date.now() + 30 * 86400000;
    if (!(date instanceof Date) || Number.isNaN(date.getTime()) || date.getTime() <= Date.now() || date.getTime() > max) {
      error.textContent = t("snooze.invalid");
      input.setAttribute("aria-invalid", "true");
      return;
    }
    dialog.close();
    try {
      await store.setStatus(conversation.id, "snoozed", date.toISOString());
    } catch (failure) {
      store.notice(t("actions.failed", { message: failure.message }));
    }
  };
  const min = new Date(Date.now() + 5 * 60000);
  const input = h("input", {
    id: inputId, type: "datetime-local", class: "input",
    value: localInputValue(nextMorning(1)),
    min: localInputValue(min),
    max: localInputValue(new Date(Date.now() + 30 * 86400000)),
    "aria-describedby": errorId,
  });
  const choices = [
    ["snooze.oneHour", () => new Date(Date.now() + 3600000)],
    ["snooze.fourHours", () => new Date(Date.now() + 4 * 3600000)],
    ["snooze.tomorrow", () => nextMorning(1)],
    ["snooze.nextWeek", () => nextMonday()],
  ];
  dialog = modal(t("snooze.title"), h("form", { class: "dialog-body", onsubmit: (event) => { event.preventDefault(); snooze(new Date(input.value)); } },
    h("ul", { class: "snooze-choices" }, choices.map(([key, when]) => h("li", null,
      h("button", { type: "button", class: "snooze-choice", onclick: () => snooze(when()) }, icon("clock", 16), h("span", null, t(key)))))),
    h("div", { class: "field" },
      h("label", { for: inputId, class: "label" }, t("snooze.custom")),
      input,
      error),
    h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button", onclick: () => dialog.close() }, t("snooze.cancel")),
      h("button", { type: "submit", class: "button button-primary" }, t("snooze.submit")))), { className: "dialog-snooze" });
  dialog.querySelector(".snooze-choice")?.focus();
}

/** The keyboard shortcut list (opened with "?"). */
export function shortcutDialog() {
  const rows = [
    [["J"], ["Alt", "↓"], "shortcuts.next"],
    [["K"], ["Alt", "↑"], "shortcuts.prev"],
    [["E"], null, "shortcuts.resolve"],
    [["A"], null, "shortcuts.accept"],
    [["R"], ["/"], "shortcuts.composer"],
    [["N"], null, "shortcuts.note"],
    [["S"], null, "shortcuts.search"],
    [["1"], [String(viewKeys.length)], "shortcuts.views"],
    [["Enter"], null, "shortcuts.send"],
    [["Shift", "Enter"], null, "shortcuts.newline"],
    [["Esc"], null, "shortcuts.escape"],
    [["?"], null, "shortcuts.help"],
  ];
  const keys = (list) => h("span", { class: "keys" }, list.map((key, index) => [index ? h("span", { class: "keys-plus", "aria-hidden": "true" }, "+") : null, h("kbd", null, key)]));
  modal(t("shortcuts.title"), h("div", { class: "dialog-body" },
    h("dl", { class: "shortcut-list" }, rows.map(([first, second, label]) => h("div", { class: "shortcut-row" },
      h("dt", null, label === "shortcuts.views" ? t(label, { lists: viewKeys.map((key) => t(`view.${key}`)).join(t("shortcuts.listSeparator")) }) : t(label)),
      h("dd", null, keys(first), second ? [h("span", { class: "keys-or" }, first[0] === "1" ? "–" : t("shortcuts.or")), keys(second)] : null))))), { className: "dialog-shortcuts" });
}

/** A larger view of an image attachment. */
export function imageDialog(file) {
  modal(file.name, h("div", { class: "dialog-body image-viewer" },
    h("img", { src: file.url, alt: t("pane.imageAlt", { name: file.name }) }),
    h("a", { class: "button", href: file.url, target: "_blank", rel: "noopener noreferrer", download: file.name }, icon("download", 16), t("pane.download", { name: file.name }))), { className: "dialog-image" });
}

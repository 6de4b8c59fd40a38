/**
 * A popup menu for a menu button (WAI-ARIA menu pattern): arrow keys, Home/End, Enter/Space,
 * Escape (focus returns to the button), click outside or Tab closes. Positioned next to its
 * button with CSSOM (style.top/left), so it needs no inline style attribute.
 *
 *   openMenu(button, [{label, icon?, hint?, checked?, radio?, danger?, onSelect} | {separator: true}
 *                     | {heading}], {placement: "bottom-start" | "bottom-end" | "top-start" | "right-end"})
 */
import { h } from "./dom.js";
import { icon as makeIcon } from "./icons.js";

let current = null;

export function closeMenu({ focus = false } = {}) {
  if (!current) return;
  const { node, button, cleanup } = current;
  current = null;
  cleanup();
  node.remove();
  button.setAttribute("aria-expanded", "false");
  if (focus) button.focus();
}

export function openMenu(button, items, { placement = "bottom-start", label } = {}) {
  if (current?.button === button) {
    closeMenu({ focus: true });
    return;
  }
  closeMenu();
  const entries = [];
  const node = h("div", { class: "menu", role: "region", "aria-label": label ?? button.getAttribute("aria-label") ?? undefined });
  const menu = h("div", { class: "menu-items", role: "menu", "aria-label": label ?? button.getAttribute("aria-label") ?? undefined });
  let group = menu;
  for (const item of items) {
    if (item.custom) {
      // Non-interactive content (an account header, a meter) sits above the menu, outside it.
      node.append(item.custom);
      continue;
    }
    if (item.separator) {
      menu.append(h("div", { class: "menu-separator", role: "separator" }));
      group = menu;
      continue;
    }
    if (item.heading) {
      const headingId = `menu-heading-${Math.random().toString(36).slice(2)}`;
      group = h("div", { role: "group", "aria-labelledby": headingId }, h("div", { id: headingId, class: "menu-heading" }, item.heading));
      menu.append(group);
      continue;
    }
    const entry = h("button", {
      type: "button",
      class: `menu-item${item.danger ? " menu-item-danger" : ""}`,
      role: item.radio ? "menuitemradio" : "menuitem",
      "aria-checked": item.radio ? String(!!item.checked) : undefined,
      tabindex: "-1",
      onclick: () => {
        closeMenu({ focus: true });
        item.onSelect?.();
      },
    },
    item.iconNode ?? (item.icon ? makeIcon(item.icon, 16) : null),
    h("span", { class: "menu-item-text" }, h("span", { class: "menu-item-label" }, item.label), item.hint ? h("span", { class: "menu-item-hint" }, item.hint) : null),
    item.radio && item.checked ? makeIcon("check", 16) : null,
    item.shortcut ? h("kbd", { "aria-hidden": "true" }, item.shortcut) : null);
    entries.push(entry);
    group.append(entry);
  }
  node.append(menu);
  document.body.append(node);
  place(node, button, placement);
  button.setAttribute("aria-expanded", "true");

  const move = (delta) => {
    const index = entries.indexOf(document.activeElement);
    const next = entries[(index + delta + entries.length) % entries.length];
    next?.focus();
  };
  const onKey = (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Home") { event.preventDefault(); entries[0]?.focus(); }
    else if (event.key === "End") { event.preventDefault(); entries[entries.length - 1]?.focus(); }
    else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closeMenu({ focus: true }); }
    else if (event.key === "Tab") { closeMenu(); }
  };
  const onPointer = (event) => {
    if (!node.contains(event.target) && !button.contains(event.target)) closeMenu();
  };
  const onResize = () => closeMenu();
  node.addEventListener("keydown", onKey);
  document.addEventListener("pointerdown", onPointer, true);
  addEventListener("resize", onResize);
  current = {
    node, button,
    cleanup: () => {
      document.removeEventListener("pointerdown", onPointer, true);
      removeEventListener("resize", onResize);
    },
  };
  const checked = entries.find((entry) => entry.getAttribute("aria-checked") === "true");
  (checked ?? entries[0])?.focus();
}

function place(node, button, placement) {
  const rect = button.getBoundingClientRect();
  const width = node.offsetWidth;
  const height = node.offsetHeight;
  let top;
  let left;
  if (placement.startsWith("right")) {
    left = rect.right + 8;
    top = placement.endsWith("end") ? rect.bottom - height : rect.top;
  } else {
    top = placement.startsWith("top") ? rect.top - height - 6 : rect.bottom + 6;
    left = placement.endsWith("end") ? rect.right - width : rect.left;
  }
  left = Math.max(8, Math.min(left, innerWidth - width - 8));
  top = Math.max(8, Math.min(top, innerHeight - height - 8));
  node.style.top = `${Math.round(top)}px`;
  node.style.left = `${Math.round(left)}px`;
}

/** Wires a button as a menu button: aria-haspopup, aria-expanded, opens on click and ArrowDown. */
export function menuButton(button, items, options) {
  button.setAttribute("aria-haspopup", "menu");
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => openMenu(button, typeof items === "function" ? items() : items, options));
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || (event.key === "ArrowUp" && options?.placement?.startsWith("top"))) {
      event.preventDefault();
      openMenu(button, typeof items === "function" ? items() : items, options);
    }
  });
  return button;
}

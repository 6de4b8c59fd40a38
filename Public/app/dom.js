/**
 * A tiny DOM builder. h("button", {class: "x", "aria-label": label, onclick: fn}, "text", node)
 * makes elements with createElement and sets every string child as a text node, so nothing a
 * person, bot or file wrote is ever parsed as HTML. Attributes go through setAttribute; the few
 * live properties (value, checked, disabled, hidden) are set as properties.
 */
const properties = new Set(["value", "checked", "disabled", "hidden", "selected", "indeterminate"]);

export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on") && typeof value === "function") {
        node.addEventListener(name.slice(2), value);
      } else if (name === "class") {
        node.className = value;
      } else if (name === "dataset") {
        Object.assign(node.dataset, value);
      } else if (properties.has(name)) {
        node[name] = value;
      } else {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    }
  }
  append(node, children);
  return node;
}

/** Appends strings (as text), nodes and nested arrays; skips null, undefined and false. */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.append(child);
    else parent.append(document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of `parent` with `children`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A process-unique id for aria wiring (aria-labelledby, aria-controls). */
let counter = 0;
export function uid(prefix = "k") {
  counter += 1;
  return `${prefix}-${counter}`;
}

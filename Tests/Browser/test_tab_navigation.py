"""Everything works from the keyboard, with the focus always visible: a visitor opens the widget
from its launcher with Enter or Space, Tabs through the panel to the composer, sends with Enter
and closes with Escape (focus back on the launcher); an agent Tabs to the conversation list
(one stop, arrows within), opens a conversation with Space or Enter, and Tabs on to the actions
and the composer."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from harness import messages, sign_in, visitor_writes

# The focused element, through open shadow roots, described for the test and for its messages.
FOCUSED = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return null;
  const name = el.getAttribute('aria-label') || el.getAttribute('title') || (el.labels && el.labels[0] && el.labels[0].textContent)
    || el.textContent || '';
  return { tag: el.tagName.toLowerCase(), name: name.replace(/\\s+/g, ' ').trim().slice(0, 60),
           cls: String(el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className || ''),
           role: el.getAttribute('role') || '', current: el.getAttribute('aria-current') || '' };
}"""

# Whether the focused element shows it has the focus: its own outline or shadow (as :focus-visible
# draws it), or, for a text box drawn without one, a ring on the box around it that is there only
# while the focus is within (compared with the focus moved away, then put back).
FOCUS_SHOWN = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return 'nothing has the focus';
  const drawn = (e) => {
    const s = getComputedStyle(e);
    return { outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 ? s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor : '',
             shadow: s.boxShadow !== 'none' ? s.boxShadow : '', border: s.borderColor };
  };
  const own = drawn(el);
  if (el.matches(':focus-visible') && (own.outline || own.shadow)) return '';
  const rings = [];
  for (let p = el.parentElement, i = 0; p && i < 3; p = p.parentElement, i++) {
    p.style.setProperty('transition', 'none');  // the ring's fading would hide the change
    rings.push([p, drawn(p)]);
  }
  el.blur();
  const changed = rings.some(([p, before]) => {
    const after = drawn(p);
    return (before.outline && before.outline !== after.outline) || (before.shadow && before.shadow !== after.shadow);
  });
  el.focus({ preventScroll: true });
  for (const [p] of rings) p.style.removeProperty('transition');
  return changed ? '' : 'no visible focus on ' + el.tagName + '.' + el.className;
}"""


def focused(page: Page):
    return page.evaluate(FOCUSED)


def tab_until(page: Page, wanted, limit: int, key: str = "Tab") -> list[dict]:
    """Presses Tab until `wanted(focused)` holds; every stop on the way must show its focus and
    have a name. Returns the stops, the wanted one last."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        stop = focused(page)
        assert stop, f"the focus left the page after {stops}"
        stops.append(stop)
        shown = page.evaluate(FOCUS_SHOWN)
        assert not shown, f"{shown} (after {stops})"
        assert stop["name"], f"a focus stop without a name: {stop}"
        if wanted(stop):
            return stops
    raise AssertionError(f"not reached in {limit} presses of {key}: {stops}")


def is_launcher(stop) -> bool:
    return stop["cls"] == "kl-launcher"


def is_composer(stop) -> bool:
    return stop["tag"] == "textarea" and stop["name"] in ("Message", "Write a message…")


def test_a_visitor_opens_the_widget_writes_and_closes_it_from_the_keyboard(kefu, site, standby, contexts):
    page = contexts().new_page()
    page.goto(site.page("/", "Northwind Outfitters"))
    expect(page.get_by_role("button", name=re.compile("^Open chat"))).to_be_visible()
    launcher = page.locator("[data-kefu-widget] .kl-launcher")  # its name says open or close
    tab_until(page, is_launcher, 5)

    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name=re.compile("^Chat with"))
    expect(panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    box = panel.get_by_role("textbox", name="Message", exact=True)
    expect(box).to_be_focused()

    # Back to the launcher, then through the whole panel to the composer.
    back = tab_until(page, is_launcher, 12, key="Shift+Tab")
    stops = tab_until(page, is_composer, 12)
    names = [stop["name"] for stop in stops]
    assert "切换到中文" in names and "Close chat" in names and "Conversation" in names, \
        f"Tab skipped the header's buttons or the conversation: {names} (backwards: {[s['name'] for s in back]})"

    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    expect(panel.get_by_text("Typed without a mouse", exact=True)).to_be_visible()
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    # After the composer: the attach and send buttons, each reachable.
    after = tab_until(page, lambda stop: stop["tag"] == "button" and stop["name"] == "Send", 3)
    assert any(stop["name"] == "Attach a file" for stop in after), f"no attach button after the composer: {after}"

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert is_launcher(focused(page)), f"the focus did not return to the launcher: {focused(page)}"
    assert not page.evaluate(FOCUS_SHOWN), "the launcher does not show its focus"

    page.keyboard.press("Space")
    expect(panel).to_be_visible()
    expect(box).to_be_focused()
    expect(panel.get_by_text("Typed without a mouse", exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert is_launcher(focused(page))


def is_row(stop) -> bool:
    return bool(stop) and stop["tag"] == "a" and "conv-row" in stop["cls"]


def test_an_agent_tabs_to_the_list_opens_conversations_and_reaches_the_actions_and_composer(kefu, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    names = [f"Tab A {tag}", f"Tab B {tag}"]
    agent = contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    rows = agent.get_by_role("region", name="Conversation list").get_by_role("link")
    for index, name in enumerate(names):
        visitor_writes(contexts().new_page(), site.page("/", "Northwind Outfitters"), name, f"Question {index + 1} from {name}")
        expect(rows.filter(has_text=f"Question {index + 1} from {name}")).to_be_visible()
    # Most recent first: B, then A.
    expect(rows.nth(0)).to_contain_text(names[1])
    expect(rows.nth(1)).to_contain_text(names[0])

    # From the top of the page to the list: its first row, B (the most recent).
    agent.evaluate("document.activeElement && document.activeElement.blur()")
    tab_until(agent, is_row, 20)
    expect(rows.nth(0)).to_be_focused()
    expect(rows.nth(0)).to_contain_text(names[1])

    # Arrows move within the list; Space opens, and so does Enter.
    agent.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_be_focused()
    agent.keyboard.press("Space")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    expect(messages(agent)).to_contain_text(f"Question 1 from {names[0]}")
    expect(rows.nth(1)).to_be_focused()
    agent.keyboard.press("ArrowUp")
    expect(rows.nth(0)).to_be_focused()
    agent.keyboard.press("Enter")
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    expect(messages(agent)).to_contain_text(f"Question 2 from {names[1]}")
    expect(agent.get_by_role("button", name="Resolve")).to_be_visible()
    # The list is one stop: Tab leaves it for the conversation rather than walking every row,
    # and Shift+Tab comes back to the row left.
    agent.keyboard.press("Tab")
    assert focused(agent) and not is_row(focused(agent)), f"Tab did not leave the list: {focused(agent)}"
    agent.keyboard.press("Shift+Tab")
    expect(rows.nth(0)).to_be_focused()

    # On through the conversation's actions and messages to the composer.
    stops = tab_until(agent, is_composer, 20)
    names_on_the_way = [stop["name"] for stop in stops]
    assert "Resolve" in names_on_the_way and "More actions" in names_on_the_way, f"Tab skipped the actions: {names_on_the_way}"
    assert not any(is_row(stop) for stop in stops), f"Tab walked through the list's rows: {names_on_the_way}"
    agent.keyboard.type("Answered from the keyboard")
    agent.keyboard.press("Enter")
    expect(messages(agent)).to_contain_text("Answered from the keyboard")

    # Back to the actions: Resolve works with the keyboard too.
    tab_until(agent, lambda stop: stop["tag"] == "button" and stop["name"] == "Resolve", 20, key="Shift+Tab")
    agent.keyboard.press("Space")
    expect(agent.get_by_role("button", name="Reopen")).to_be_visible()
    expect(messages(agent)).to_contain_text("Resolved by Owner")

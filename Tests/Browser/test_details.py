"""Details a person notices at once: unread counts in the workspace (row, rail, tab title), Shift+Enter
breaking a line on both sides, a file's size beside its download link, the visitor's phone in the
visitor panel, the widget keeping its own looks on a site whose CSS is hostile (and leaving the
site's alone), and every string table holding the same keys and placeholders in both languages."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import agent_opens, messages, open_widget, sign_in, visitor_writes, visitor_writes_agent_opens


def badge_count(page, key: str) -> int:
    """The number on a rail badge (0 while it is hidden)."""
    badge = page.locator(f'.rail-badge[data-count="{key}"]')
    return 0 if badge.is_hidden() else int(badge.text_content() or "0")


def test_unread_messages_are_counted_on_the_row_the_rail_and_the_tab_title(kefu, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    first, second = f"Reading {tag}", f"Waiting {tag}"
    agent = contexts().new_page()
    visitor_a, visitor_b = contexts().new_page(), contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    visitor_writes(visitor_a, site.page("/", "Northwind Outfitters"), first, "A question the agent reads")
    agent_opens(agent, first, "A question the agent reads")
    mine_before = badge_count(agent, "mine")

    # Another visitor writes while the agent reads the first conversation: each message adds one.
    panel = visitor_writes(visitor_b, site.page("/", "Northwind Outfitters"), second, "Hello, anyone there?", sent=True)
    row = agent.get_by_role("link", name=re.compile(re.escape(second)))
    badge = row.locator(".conv-badge")
    expect(badge).to_be_visible()
    # The visitor's messages only: the assignment's line is not unread.
    expect(badge).to_have_text("1")
    count = 1
    expect(row).to_have_accessible_name(re.compile(rf", {count} unread$"))
    box = panel.get_by_role("textbox", name="Message")
    box.fill("I need help with a return")
    box.press("Enter")
    expect(row).to_contain_text("I need help with a return")
    expect(badge).to_have_text(str(count + 1))
    expect(row).to_have_accessible_name(re.compile(rf", {count + 1} unread$"))
    expect(agent.locator('.rail-badge[data-count="mine"]')).to_have_text(str(mine_before + 1))
    expect(agent.locator('.rail-link[data-view="mine"]')).to_have_attribute("aria-label", f"Mine, {mine_before + 1} unread")
    # The row being read shows no badge.
    expect(agent.get_by_role("link", name=re.compile(re.escape(first))).locator(".conv-badge")).to_be_hidden()
    waiting = badge_count(agent, "mine") + badge_count(agent, "queue")
    expect(agent).to_have_title(re.compile(rf"^\({waiting}\) {re.escape(first)} · Inbox · Kefu$"))

    # Opening it reads it: the badges go down and the title follows.
    row.click()
    expect(messages(agent)).to_contain_text("I need help with a return")
    expect(row.locator(".conv-badge")).to_be_hidden()
    mine = agent.locator('.rail-badge[data-count="mine"]')
    if mine_before:
        expect(mine).to_have_text(str(mine_before))
    else:
        expect(mine).to_be_hidden()
    expect(agent).to_have_title(re.compile(rf"{re.escape(second)} · Inbox · Kefu$"))


def test_shift_enter_breaks_a_line_and_enter_sends_on_both_sides(kefu, site, standby, contexts):
    name = f"Lines {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Two questions coming")

    write_two_lines(panel.get_by_role("textbox", name="Message"), "Is it waterproof?", "And how heavy?",
                    seen_in=messages(agent).locator(".msg-text"))
    write_two_lines(agent.get_by_role("textbox", name="Message"), "Yes, fully.", "It weighs 1.2 kg.",
                    seen_in=panel.locator(".kp-bubble"))


def write_two_lines(box, first: str, second: str, seen_in) -> None:
    """Types `first`, Shift+Enter, `second`, Enter into `box`; the message arrives as two lines."""
    box.press_sequentially(first)
    box.press("Shift+Enter")
    box.press_sequentially(second)
    expect(box).to_have_value(f"{first}\n{second}")
    box.press("Enter")
    expect(box).to_have_value("")
    arrived = seen_in.filter(has_text=first)
    expect(arrived).to_have_text(re.compile(rf"^{re.escape(first)}\s*{re.escape(second)}$"))
    assert arrived.inner_text() == f"{first}\n{second}"


def test_a_file_link_shows_the_files_size_on_both_sides(kefu, site, standby, contexts):
    name = f"Sizes {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Please send the manual")
    manual = b"%PDF-1.4\n" + b"%" + b"k" * 2_490 + b"\n%%EOF\n"  # 2,506 bytes: "2.5 kB"
    agent.locator("kefu-composer input[type=file]").set_input_files(
        [{"name": "manual.pdf", "mimeType": "application/pdf", "buffer": manual}])
    sent = messages(agent).get_by_role("link", name="Download manual.pdf")
    expect(sent).to_be_visible()
    expect(sent.locator(".msg-file-size")).to_have_text("2.5 kB")
    link = panel.get_by_role("link", name="Download manual.pdf, 2.5 kB")
    expect(link).to_be_visible()
    expect(link.locator(".kp-file-size")).to_have_text("2.5 kB")


def test_the_visitor_panel_shows_the_phone_the_site_identified(kefu, site, standby, contexts):
    name = f"Caller {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Call me back please",
                               email="caller@example.com", phone="+86 138 0013 8000")
    details = agent.get_by_role("complementary", name="Visitor details")
    phone = details.locator(".info-row").filter(has=agent.locator("dt", has_text=re.compile("^Phone$"))).locator("dd")
    expect(phone).to_contain_text("+86 138 0013 8000")
    email = details.locator(".info-row").filter(has=agent.locator("dt", has_text=re.compile("^Email$"))).locator("dd")
    expect(email).to_contain_text("caller@example.com")


def test_the_widget_keeps_its_looks_on_a_hostile_stylesheet_and_leaves_the_sites_alone(kefu, site, standby, contexts):
    # The site's own stylesheet says button{all:unset} and *{font-size:20px!important}.
    page = contexts().new_page()
    page.goto(site.page("/styled", "Northwind Outfitters"))
    page.wait_for_function("() => window.Kefu && window.Kefu.version")
    before = page.evaluate("""() => ({sheets: document.styleSheets.length, heading: getComputedStyle(document.querySelector('h1')).fontSize,
                                      body: getComputedStyle(document.body).backgroundColor})""")
    panel = open_widget(page)
    launcher = page.get_by_role("button", name="Close chat", expanded=True)
    size = launcher.evaluate("el => [getComputedStyle(el).width, getComputedStyle(el).height]")
    assert size == ["60px", "60px"], f"the launcher is {size}"
    assert launcher.evaluate("el => getComputedStyle(el).cursor") == "pointer"
    assert panel.get_by_role("textbox", name="Message").evaluate("el => getComputedStyle(el).fontSize") == "15px"
    assert panel.evaluate("el => getComputedStyle(el).fontSize") == "14px"
    after = page.evaluate("""() => ({sheets: document.styleSheets.length, heading: getComputedStyle(document.querySelector('h1')).fontSize,
                                     body: getComputedStyle(document.body).backgroundColor})""")
    assert after == before, f"the page's styles changed: {before} → {after}"


TABLES = """async () => {
  const app = [(await import('/app/i18n/en.js')).default, (await import('/app/i18n/zh-CN.js')).default];
  const widget = (await import('/widget/strings.js')).strings;
  return {app, widget: [widget.en, widget['zh-CN']]};
}"""


def test_every_string_table_has_the_same_keys_and_placeholders_in_both_languages(kefu, contexts):
    page = contexts().new_page()
    page.goto(kefu.url + "/app/")
    tables = page.evaluate(TABLES)
    for surface, (en, zh) in tables.items():
        assert len(en) > 50, f"{surface}: the English table looks empty ({len(en)} keys)"
        assert set(en) == set(zh), f"{surface}: only in en {sorted(set(en) - set(zh))}, only in zh-CN {sorted(set(zh) - set(en))}"
        for key in en:
            placeholders = [set(re.findall(r"\{(\w+)\}", str(text))) for text in (en[key], zh[key])]
            assert placeholders[0] == placeholders[1], f"{surface} {key}: en has {placeholders[0]}, zh-CN {placeholders[1]}"
            assert str(zh[key]).strip(), f"{surface} {key}: the zh-CN text is empty"

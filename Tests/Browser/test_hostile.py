"""Journey 6: hostile text from visitors, agents, files and pages is shown as text and never runs."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import messages, png_bytes, visitor_writes_agent_opens

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
JS_LINK = "javascript:window.__pwned=1"
RTL = "\u202eevil.exe\u202c"
# No spaces (test_files has names with spaces) and no "/" (a name is cut to its last path part).
FILE = "<img%20src=x%20onerror=window.__pwned=1>\"&amp;\u202egnp.exe"
MESSAGE = f"{SCRIPT} {IMG} {JS_LINK} [click](javascript:window.__pwned=1) {RTL} https://ok.example/a?b=<x>"
REPLY = f"{IMG} <a href=\"{JS_LINK}\">open</a> {RTL}"

# Anything that would run: an inline handler on an element the page did not make, a javascript:
# URL in a link or image, a script element inside the chat surfaces.
PROBE = """root => {
  const all = [];
  const walk = (node) => {
    for (const el of node.querySelectorAll('*')) {
      all.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(root);
  return all.filter((el) =>
    [...el.attributes].some((a) => /^on/i.test(a.name) || (/^(href|src|action|formaction|xlink:href)$/i.test(a.name) && /^\\s*javascript:/i.test(a.value))) ||
    (el.tagName === 'IMG' && el.getAttribute('src') === 'x') ||
    (el.tagName === 'SCRIPT' && /__pwned/.test(el.textContent))
  ).map((el) => el.outerHTML.slice(0, 160));
}"""


def test_hostile_names_messages_attributes_files_and_titles_stay_text(kefu, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    name = f"{IMG}{RTL} {tag}"
    dialogs: list[str] = []
    agent, visitor = contexts().new_page(), contexts().new_page()
    for page in (agent, visitor):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    panel = visitor_writes_agent_opens(
        agent, visitor, kefu, site, name, f"hello {tag}",
        path=f"/evil?q=%3Cscript%3Ewindow.__pwned=1%3C/script%3E&u={tag}", title=f"{SCRIPT} {IMG} {RTL}",
        email=f"{tag}@example.com", attributes={"<b>plan</b>": SCRIPT, "homepage": JS_LINK, "note": IMG})

    box = panel.get_by_role("textbox", name="Message")
    box.fill(MESSAGE)
    box.press("Enter")
    panel.locator("input[type=file]").set_input_files([{"name": f"{FILE}.png", "mimeType": "image/png", "buffer": png_bytes()}])

    composer = agent.get_by_role("textbox", name="Message")
    composer.fill(REPLY)
    composer.press("Enter")

    # Every text shows literally, on both sides.
    expect(messages(agent).get_by_text(MESSAGE, exact=True)).to_be_visible()
    expect(messages(agent).get_by_role("img", name=f"Image {FILE}.png")).to_be_visible()
    expect(agent.get_by_role("heading", name=name).first).to_be_visible()
    details = agent.get_by_role("complementary", name="Visitor details")
    for text in (SCRIPT, JS_LINK, IMG, "<b>plan</b>", name):
        expect(details.get_by_text(text, exact=True).first).to_be_visible()
    expect(details).to_contain_text(f"/evil?q=")
    expect(panel.get_by_text(REPLY, exact=True)).to_be_visible()
    expect(panel.get_by_text(MESSAGE, exact=True)).to_be_visible()
    expect(panel.get_by_role("button", name=f"Open image {FILE}.png")).to_be_visible()

    # Only the http(s) URL became a link; nothing runs.
    hrefs = panel.get_by_role("link").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert hrefs == ["https://ok.example/a?b="], hrefs  # a URL ends before "<"
    hrefs = messages(agent).get_by_role("link").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert all(h.startswith(("https://ok.example/", kefu.url + "/api/v1/attachments/")) for h in hrefs), hrefs
    assert visitor.title().startswith(f"{SCRIPT} {IMG}"), visitor.title()
    for page, where in ((agent, "workspace"), (visitor, "visitor page")):
        assert page.evaluate("window.__pwned") is None, f"{where}: window.__pwned was set"
        found = page.evaluate(PROBE, page.locator("body").element_handle())
        assert not found, f"{where}: live hostile markup {found}"
    assert not dialogs, dialogs

    # Reloading both re-renders everything from the server: still inert.
    agent.reload()
    expect(messages(agent).get_by_text(MESSAGE, exact=True)).to_be_visible()
    visitor.reload()
    visitor.get_by_role("button", name=re.compile("^Open chat")).click()
    expect(panel.get_by_text(REPLY, exact=True)).to_be_visible()
    for page in (agent, visitor):
        assert page.evaluate("window.__pwned") is None
        assert not page.evaluate(PROBE, page.locator("body").element_handle())

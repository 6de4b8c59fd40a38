"""Uploads in the widget besides the file button: a pasted image, files dropped on the panel, the
progress bar while a file uploads, and a clear error for a file over the size limit (refused
before anything is sent)."""
from __future__ import annotations

import base64
import json
import re
import urllib.request
import uuid

from playwright.sync_api import expect

from harness import messages, pdf_bytes, png_bytes, visitor_writes_agent_opens

# Builds a DataTransfer holding files (name, type, base64 body, or a size of zeros) in the page.
FILES = """(specs) => {
  const transfer = new DataTransfer();
  for (const spec of specs) {
    const body = spec.base64 ? Uint8Array.from(atob(spec.base64), (c) => c.charCodeAt(0)) : new Uint8Array(spec.size);
    transfer.items.add(new File([body], spec.name, { type: spec.type }));
  }
  return transfer;
}"""

PASTE = "(el, specs) => { const dt = (" + FILES + ")(specs); " \
        "el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true, composed: true })); }"

DROP = "(el, specs) => { const dt = (" + FILES + ")(specs); " \
       "for (const type of ['dragenter', 'dragover', 'drop']) " \
       "el.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true, composed: true })); }"

DRAG_ENTER = "(el, specs) => { const dt = (" + FILES + ")(specs); " \
             "el.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true, composed: true })); }"


def spec(name: str, mime: str, body: bytes) -> dict:
    return {"name": name, "type": mime, "base64": base64.b64encode(body).decode()}


def test_a_pasted_image_and_dropped_files_reach_the_agent_with_a_progress_bar_while_uploading(kefu, site, standby, contexts):
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, f"Paste {uuid.uuid4().hex[:6]}", "Here is a screenshot")
    box = panel.get_by_role("textbox", name="Message")

    # Paste: the image is uploaded, not pasted as text; held at the server's door, it shows progress.
    held = []
    visitor.route("**/api/v1/widget/attachments?**", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    box.evaluate(PASTE, [spec("screenshot.png", "image/png", png_bytes())])
    progress = panel.get_by_role("progressbar", name="screenshot.png")
    expect(progress).to_be_visible()
    expect(panel.get_by_text("Uploading screenshot.png…")).to_be_visible()
    expect(box).to_have_value("")
    for _ in range(100):  # the request reaches the route a moment after the bar shows
        if held:
            break
        visitor.wait_for_timeout(50)
    assert len(held) == 1, f"{len(held)} uploads held"
    held.pop().continue_()
    expect(progress).to_have_count(0)
    expect(panel.get_by_role("button", name="Open image screenshot.png")).to_be_visible()
    expect(messages(agent).get_by_role("img", name="Image screenshot.png")).to_be_visible()
    visitor.unroute("**/api/v1/widget/attachments?**")

    # Drag over the panel: it shows the drop hint; dropping two files sends both.
    body = panel.locator(".kp-body")
    body.evaluate(DRAG_ENTER, [spec("x.pdf", "application/pdf", pdf_bytes())])
    expect(panel).to_have_class(re.compile(r"\bkp-dragging\b"))
    body.evaluate(DROP, [spec("order.pdf", "application/pdf", pdf_bytes()), spec("box.png", "image/png", png_bytes(64, 40))])
    expect(panel).not_to_have_class(re.compile(r"\bkp-dragging\b"))
    expect(panel.get_by_role("link", name=re.compile(r"^Download order\.pdf, "))).to_be_visible()
    expect(panel.get_by_role("button", name="Open image box.png")).to_be_visible()
    # Each dropped file is sent once (the panel makes a new composer when its card changes).
    expect(messages(agent).get_by_role("link", name="Download order.pdf")).to_have_count(1)
    expect(messages(agent).get_by_role("img", name="Image box.png")).to_have_count(1)
    expect(panel.get_by_role("link", name=re.compile(r"^Download order\.pdf, "))).to_have_count(1)
    expect(panel.get_by_role("button", name="Open image box.png")).to_have_count(1)


def test_a_file_over_the_size_limit_is_refused_in_the_widget_with_the_limit_named(kefu, site, standby, contexts):
    with urllib.request.urlopen(f"{kefu.url}/api/v1/widget/config?key={kefu.widget_key}", timeout=20) as response:
        limit = json.load(response)["maxUploadBytes"]
    assert limit > 0
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, f"Big {uuid.uuid4().hex[:6]}", "A big video follows")
    uploads = []
    visitor.on("request", lambda request: uploads.append(request.url) if "/widget/attachments" in request.url else None)

    panel.locator(".kp-body").evaluate(DROP, [{"name": "holiday.mov", "type": "video/quicktime", "size": limit + 1}])
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text(re.compile(r"holiday\.mov is too large \(the limit is [\d.,]+\s?MB\)\."))
    assert uploads == [], f"a refused file was uploaded: {uploads}"
    expect(panel.get_by_role("link", name=re.compile("holiday.mov"))).to_have_count(0)
    expect(messages(agent).get_by_text("holiday.mov")).to_have_count(0)


def test_an_agent_pastes_an_image_and_drops_a_file_and_the_visitor_gets_both(kefu, site, standby, contexts):
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, f"Agent drop {uuid.uuid4().hex[:6]}", "Can you send the invoice?")
    composer = agent.get_by_role("textbox", name="Message")

    # A pasted image goes up as an attachment, not as text in the composer.
    composer.evaluate(PASTE, [spec("label.png", "image/png", png_bytes())])
    expect(messages(agent).get_by_role("img", name="Image label.png")).to_have_count(1)
    expect(composer).to_have_value("")
    expect(panel.get_by_role("button", name="Open image label.png")).to_have_count(1)

    # A file dropped anywhere on the conversation pane: once, to both sides.
    agent.locator("kefu-chat-pane").evaluate(DROP, [spec("invoice.pdf", "application/pdf", pdf_bytes())])
    expect(messages(agent).get_by_text("invoice.pdf")).to_have_count(1)
    expect(panel.get_by_text("invoice.pdf")).to_have_count(1)

"""Journey 4: an image and a file go both ways; a refused type shows its error on both sides."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from harness import chat_page, open_widget, messages, pdf_bytes, png_bytes, visitor_writes_agent_opens

EVIL = {"name": "page.html", "mimeType": "text/html", "buffer": b"<html><script>window.__pwned=1</script></html>"}
LOADED = "img => img.complete && img.naturalWidth > 0"


def wait_loaded(page, image) -> None:
    expect(image).to_be_visible()
    page.wait_for_function(LOADED, arg=image.element_handle())


def test_images_and_files_go_both_ways_and_a_refused_type_says_so(kefu, site, standby, contexts):
    name = f"Files {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "I have a photo and a receipt")
    png, pdf = png_bytes(), pdf_bytes()

    # Visitor → agent.
    widget_files = panel.locator("input[type=file]")
    widget_files.set_input_files([{"name": "parcel.png", "mimeType": "image/png", "buffer": png}])
    wait_loaded(visitor, panel.get_by_role("button", name="Open image parcel.png").locator("img"))
    widget_files.set_input_files([{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    expect(panel.get_by_role("link", name=re.compile(r"^Download receipt\.pdf, "))).to_be_visible()

    wait_loaded(agent, messages(agent).get_by_role("img", name="Image parcel.png"))
    download = messages(agent).get_by_role("link", name="Download receipt.pdf")
    expect(download).to_be_visible()
    fetched = agent.context.request.get(download.get_attribute("href"))
    assert fetched.ok and fetched.body() == pdf, f"the agent's download of receipt.pdf: {fetched.status}"

    # Agent → visitor.
    app_files = agent.locator("kefu-composer input[type=file], input[type=file]").first
    app_files.set_input_files([{"name": "label.png", "mimeType": "image/png", "buffer": png}])
    wait_loaded(agent, messages(agent).get_by_role("img", name="Image label.png"))
    app_files.set_input_files([{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    expect(messages(agent).get_by_role("link", name="Download invoice.pdf")).to_be_visible()

    image = panel.get_by_role("button", name="Open image label.png")
    wait_loaded(visitor, image.locator("img"))
    link = panel.get_by_role("link", name=re.compile(r"^Download invoice\.pdf, "))
    expect(link).to_be_visible()
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    fetched = visitor.context.request.get(link.get_attribute("href"))
    assert fetched.ok and fetched.body() == pdf, f"the visitor's download of invoice.pdf: {fetched.status}"
    image.click()  # click to enlarge
    lightbox = panel.get_by_role("dialog", name="label.png")
    expect(lightbox).to_be_visible()
    lightbox.get_by_role("button", name="Close image").click()
    expect(lightbox).to_be_hidden()

    # A refused type from the agent (the widget's side: the test below).
    app_files.set_input_files([EVIL])
    refused = messages(agent).locator("li[data-client-id]").filter(has_text="page.html")
    expect(refused).to_contain_text("Not sent: this type of file is not accepted")
    refused.get_by_role("button", name="Discard").click()
    expect(refused).to_have_count(0)
    expect(messages(agent).get_by_role("link", name="Download page.html")).to_have_count(0)



@pytest.mark.parametrize("where", [
    "chat-page",
    "widget-on-another-origin",
])
def test_visitor_sending_an_html_file_is_told_the_type_is_refused(kefu, site, standby, contexts, where):
    context = contexts()
    page = context.new_page()
    if where == "chat-page":
        page.goto(chat_page(context, kefu))
        panel = page.get_by_role("main", name=re.compile("^Chat with"))
    else:
        page.goto(site.page("/", "Northwind Outfitters"))
        panel = open_widget(page)
    box = panel.get_by_role("textbox", name="Message")
    box.fill("here comes a web page")
    box.press("Enter")
    expect(panel.get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()
    panel.locator("input[type=file]").set_input_files([EVIL])
    expect(panel.get_by_role("alert")).to_contain_text("page.html can't be sent: this type of file isn't accepted.", timeout=10_000)
    expect(panel.get_by_role("link", name=re.compile("page.html"))).to_have_count(0)


def test_a_file_name_with_spaces_keeps_them(kefu, site, standby, contexts):
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, f"Spaces {uuid.uuid4().hex[:6]}", "a photo follows")
    panel.locator("input[type=file]").set_input_files([{"name": "my photo.png", "mimeType": "image/png", "buffer": png_bytes()}])
    expect(messages(agent).get_by_role("img", name="Image my photo.png")).to_be_visible(timeout=10_000)

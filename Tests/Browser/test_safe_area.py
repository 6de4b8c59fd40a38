"""Phones with a notch and a home indicator: the full-screen widget panel and the chat page keep
their header, composer and controls inside the safe area (CSS env(safe-area-inset-*)), and the
chat page opts in to the insets with viewport-fit=cover.

Chromium reports the insets that DevTools' Emulation.setSafeAreaInsetsOverride sets, so the
layout is checked as an iPhone would draw it: nothing the visitor reads or taps lies under the
notch (top), the home indicator (bottom) or the rounded sides in landscape."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import chat_page, identify, open_widget, png_bytes, settle

PHONE = (390, 844)
LANDSCAPE = (844, 390)
NOTCH = {"top": 47, "right": 0, "bottom": 34, "left": 0}  # an iPhone held upright
SIDEWAYS = {"top": 0, "right": 47, "bottom": 21, "left": 47}  # and on its side

# The visible extent of an element's own text (its content, not its padding), in the viewport.
TEXT_BOX = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const r = range.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
}"""


def phone(contexts, insets, viewport=PHONE):
    context = contexts(viewport=viewport, is_mobile=True, has_touch=True)
    page = context.new_page()
    context.new_cdp_session(page).send("Emulation.setSafeAreaInsetsOverride", {"insets": insets})
    return page


def assert_inside(what: str, box: dict, insets: dict, viewport=PHONE) -> None:
    width, height = viewport
    top, bottom = box.get("top", box.get("y")), box.get("bottom")
    left, right = box.get("left", box.get("x")), box.get("right")
    if bottom is None:
        bottom, right = top + box["height"], left + box["width"]
    safe = (insets["top"], width - insets["right"], height - insets["bottom"], insets["left"])
    assert top >= safe[0] - 0.5 and bottom <= safe[2] + 0.5 and left >= safe[3] - 0.5 and right <= safe[1] + 0.5, \
        f"{what} at top {top}, right {right}, bottom {bottom}, left {left} leaves the safe area {safe} (top, right, bottom, left)"


def assert_panel_safe(panel, insets, viewport=PHONE) -> None:
    """The header's controls and title, the composer and the last line of the panel sit inside
    the safe area (the panel's background may run under the notch; its content may not)."""
    header = panel.locator(".kp-header")
    for name, control in [("the header's avatar", header.locator(".kp-avatar")), ("the header's title", header.locator(".kp-title")),
                          ("the language button", header.locator(".kp-lang"))]:
        assert_inside(name, control.bounding_box(), insets, viewport)
    assert_inside("the composer", panel.locator(".kp-compose-box").bounding_box(), insets, viewport)
    assert_inside("the panel's last line", panel.locator(".kp-powered").evaluate(TEXT_BOX), insets, viewport)


def test_the_full_screen_widget_keeps_its_header_and_composer_clear_of_the_notch_and_home_bar(kefu, site, standby, contexts):
    page = phone(contexts, NOTCH)
    page.goto(site.page("/", "Northwind Outfitters"))
    identify(page, f"Notch {uuid.uuid4().hex[:6]}")
    launcher = page.get_by_role("button", name=re.compile("^Open chat"))
    expect(launcher).to_be_visible()
    assert_inside("the launcher", launcher.bounding_box(), NOTCH)

    panel = open_widget(page)
    box = panel.bounding_box()
    assert box and abs(box["y"]) < 1 and abs(box["height"] - PHONE[1]) < 1, f"the panel is not full-screen: {box}"
    close = panel.get_by_role("button", name="Close chat")
    assert_inside("the close button", close.bounding_box(), NOTCH)
    assert_panel_safe(panel, NOTCH)  # the greeting's tall header

    composer = panel.get_by_role("textbox", name="Message", exact=True)
    composer.fill("Is my parcel on its way?")
    composer.press("Enter")
    expect(panel.get_by_text("Is my parcel on its way?", exact=True)).to_be_visible()
    assert_panel_safe(panel, NOTCH)  # the conversation's compact header
    assert_inside("the close button", close.bounding_box(), NOTCH)


def test_the_widget_on_a_phone_on_its_side_stays_clear_of_the_rounded_corners(kefu, site, standby, contexts):
    page = phone(contexts, SIDEWAYS, LANDSCAPE)
    page.goto(site.page("/", "Northwind Outfitters"))
    launcher = page.get_by_role("button", name=re.compile("^Open chat"))
    expect(launcher).to_be_visible()
    launcher = launcher.element_handle()  # named "Close chat" once the panel is open
    assert_inside("the launcher", launcher.bounding_box(), SIDEWAYS, LANDSCAPE)
    panel = open_widget(page)
    assert_inside("the panel", panel.bounding_box(), SIDEWAYS, LANDSCAPE)
    page.mouse.move(400, 200)  # off the launcher, which grows a little under the pointer
    settle(launcher)
    assert_inside("the launcher", launcher.bounding_box(), SIDEWAYS, LANDSCAPE)
    # The open panel does not cover the launcher that closes it.
    above, below = panel.bounding_box(), launcher.bounding_box()
    assert above["y"] + above["height"] <= below["y"], f"the panel {above} covers the launcher {below}"


def test_the_chat_page_opts_in_to_the_insets_and_keeps_its_content_inside_them(kefu, site, standby, contexts):
    page = phone(contexts, NOTCH)
    page.goto(chat_page(None, kefu))
    viewport = page.locator('meta[name="viewport"]').get_attribute("content")
    assert re.search(r"viewport-fit\s*=\s*cover", viewport or ""), f"the chat page's viewport meta lacks viewport-fit=cover: {viewport!r}"
    main = page.get_by_role("main", name=re.compile("^Chat with"))
    expect(main).to_be_visible()
    assert_panel_safe(main, NOTCH)

    composer = main.get_by_role("textbox", name="Message", exact=True)
    composer.fill("Sent from the chat page")
    composer.press("Enter")
    expect(main.get_by_text("Sent from the chat page", exact=True)).to_be_visible()
    assert_panel_safe(main, NOTCH)

    # An enlarged image covers the page: its close button is not under the notch.
    main.locator("input[type=file]").set_input_files([{"name": "photo.png", "mimeType": "image/png", "buffer": png_bytes()}])
    thumbnail = main.get_by_role("button", name="Open image photo.png")
    expect(thumbnail).to_be_visible()
    thumbnail.click()
    lightbox = main.get_by_role("dialog", name="photo.png")
    expect(lightbox).to_be_visible()
    assert_inside("the enlarged image's close button", lightbox.get_by_role("button", name="Close image").bounding_box(), NOTCH)


def test_the_chat_page_on_its_side_keeps_its_content_clear_of_the_rounded_corners(kefu, site, standby, contexts):
    page = phone(contexts, SIDEWAYS, LANDSCAPE)
    page.goto(chat_page(None, kefu))
    main = page.get_by_role("main", name=re.compile("^Chat with"))
    expect(main).to_be_visible()
    assert_panel_safe(main, SIDEWAYS, LANDSCAPE)

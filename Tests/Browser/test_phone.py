"""Journey 7: on a phone (390×844) the widget is full-screen and the chat page fits, in en and zh-CN."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from harness import chat_page, identify, open_widget, screenshot

PHONE = (390, 844)
TEXT = {
    "en": {"open": "Open chat", "panel": "^Chat with", "box": "Message", "placeholder": "Write a message…", "hello": "Hello from my phone"},
    "zh-CN": {"open": "打开在线客服", "panel": "^与.*聊天", "box": "消息", "placeholder": "输入消息…", "hello": "你好，我在用手机"},
}


def inside_viewport(box, width=PHONE[0], height=PHONE[1]) -> bool:
    return box and box["x"] >= -0.5 and box["y"] >= -0.5 and box["x"] + box["width"] <= width + 0.5 and box["y"] + box["height"] <= height + 0.5


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_phone_widget_is_full_screen_and_the_chat_page_fits(kefu, site, standby, contexts, lang):
    words = TEXT[lang]
    context = contexts(lang, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.goto(site.page("/", "Northwind Outfitters"))
    identify(page, f"Phone {lang} {uuid.uuid4().hex[:4]}")
    launcher = page.get_by_role("button", name=re.compile("^" + words["open"]))
    expect(launcher).to_be_visible()
    assert inside_viewport(launcher.bounding_box())
    screenshot(page, f"widget-closed-phone-{lang}")

    panel = open_widget(page, lang)
    box = panel.bounding_box()
    assert box and abs(box["x"]) < 1 and abs(box["y"]) < 1 and abs(box["width"] - PHONE[0]) < 1 and abs(box["height"] - PHONE[1]) < 1, \
        f"the panel is not full-screen: {box}"
    composer = panel.get_by_role("textbox", name=words["box"], exact=True)
    expect(composer).to_have_attribute("placeholder", words["placeholder"])
    composer.fill(words["hello"])
    composer.press("Enter")
    expect(panel.get_by_text(words["hello"], exact=True)).to_be_visible()
    assert inside_viewport(composer.bounding_box())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0], "the page scrolls sideways"
    screenshot(page, f"widget-open-phone-{lang}")

    # The chat page, as a link in an email or a QR code would open it.
    chat = context.new_page()
    chat.goto(chat_page(context, kefu))
    main = chat.get_by_role("main", name=re.compile(words["panel"]))
    expect(main).to_be_visible()
    area = main.bounding_box()
    assert area and abs(area["width"] - PHONE[0]) < 1, f"the chat page is not full width: {area}"
    composer = main.get_by_role("textbox", name=words["box"], exact=True)
    expect(composer).to_be_visible()
    assert inside_viewport(composer.bounding_box())
    composer.fill(words["hello"])
    composer.press("Enter")
    expect(main.get_by_text(words["hello"], exact=True)).to_be_visible()
    assert inside_viewport(composer.bounding_box())
    assert chat.evaluate("document.documentElement.lang") == lang
    assert chat.evaluate("document.documentElement.scrollWidth") <= PHONE[0], "the chat page scrolls sideways"
    screenshot(chat, f"chat-page-phone-{lang}")


# The on-screen keyboard, as a phone browser reports it: the visual viewport shrinks (and may
# scroll) while the page's layout stays. Headless Chromium has no keyboard, so its report is played.
KEYBOARD = """(() => {
  const real = window.visualViewport;
  const fake = new EventTarget();
  let height = null;
  Object.defineProperty(fake, "height", { get: () => height ?? real.height });
  Object.defineProperty(fake, "width", { get: () => real.width });
  Object.defineProperty(fake, "offsetTop", { get: () => 0 });
  Object.defineProperty(window, "visualViewport", { configurable: true, get: () => fake });
  window.__keyboard = (h) => { height = h; fake.dispatchEvent(new Event("resize")); };
})();"""


def test_on_a_phone_the_keyboard_never_covers_the_composer(kefu, site, standby, contexts):
    context = contexts(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script(KEYBOARD)
    page = context.new_page()
    page.goto(site.page("/", "Northwind Outfitters"))
    panel = open_widget(page)
    composer = panel.get_by_role("textbox", name="Message", exact=True)
    composer.tap()
    # The keyboard takes the lower 394 px: the panel shrinks to what is left, composer included.
    page.evaluate("__keyboard(450)")
    page.wait_for_function("() => document.querySelector('[data-kefu-widget]').shadowRoot.querySelector('[role=dialog]').getBoundingClientRect().height <= 451")
    box = composer.bounding_box()
    assert box and box["y"] + box["height"] <= 450.5, f"the composer is under the keyboard: {box}"
    composer.fill("typed above the keyboard")
    composer.press("Enter")
    expect(panel.get_by_text("typed above the keyboard", exact=True)).to_be_visible()
    # The keyboard closes: full screen again.
    page.evaluate("__keyboard(null)")
    page.wait_for_function("() => document.querySelector('[data-kefu-widget]').shadowRoot.querySelector('[role=dialog]').getBoundingClientRect().height >= 843")

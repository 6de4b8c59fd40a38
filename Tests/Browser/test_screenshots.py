"""Screenshots for the README (docs/screenshots/): the widget closed and open on the demo shop
(desktop 1280×800), the chat page, and the workspace with a live conversation, in en and zh-CN.
The phone shots (390×844) come from test_phone.py. Each shot is taken once its content shows."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from harness import WORKSPACE_NAV, chat_page, identify, open_widget, png_bytes, screenshot, sign_in

SCRIPT = {
    "en": {"name": "Emma Wilson", "open": "Open chat", "box": "Message", "messages": "Messages", "resolve": "Resolve",
           "lines": ["Hi! Where is my order? It's been three days.", "Order KF-20931: https://shop.example/track/KF-20931"],
           "reply": "Hi Emma! It ships tomorrow morning — here's a photo of your parcel.", "thanks": "Great, thank you!"},
    "zh-CN": {"name": "王小明", "open": "打开在线客服", "box": "消息", "messages": "消息", "resolve": "解决",
              "lines": ["你好，我的订单什么时候发货？", "订单号是 KF-20931，三天了还没有物流信息。"],
              "reply": "您好！包裹明天上午发出，这是包裹的照片。", "thanks": "太好了，谢谢！"},
}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_screenshots_of_the_widget_chat_page_and_workspace(kefu, standby, contexts, lang):
    words = SCRIPT[lang]
    agent = contexts(lang, viewport=(1440, 900)).new_page()
    sign_in(agent, kefu.url, kefu.password, lang=lang)

    visitor_context = contexts(lang)
    visitor = visitor_context.new_page()
    visitor.goto(kefu.url + "/demo")
    launcher = visitor.get_by_role("button", name=re.compile("^" + words["open"]))
    expect(launcher).to_be_visible()
    visitor.wait_for_load_state("networkidle")
    screenshot(visitor, f"widget-closed-desktop-{lang}")

    identify(visitor, words["name"], email="emma@example.com" if lang == "en" else "xiaoming@example.cn",
             attributes={"plan": "Pro", "orders": "12"})
    panel = open_widget(visitor, lang)
    box = panel.get_by_role("textbox", name=words["box"], exact=True)
    for line in words["lines"]:
        box.fill(line)
        box.press("Enter")
        expect(panel.get_by_text(line, exact=True)).to_be_visible()

    row = agent.get_by_role("link", name=re.compile(re.escape(words["name"])))
    expect(row).to_be_visible()
    row.click()
    thread = agent.get_by_role("region", name=words["messages"], exact=True)
    expect(thread).to_contain_text(words["lines"][-1])
    composer = agent.get_by_role("textbox", name=words["box"], exact=True)
    composer.fill(words["reply"])
    composer.press("Enter")
    agent.locator("input[type=file]").first.set_input_files([{"name": "parcel.png", "mimeType": "image/png", "buffer": png_bytes(320, 200)}])
    expect(panel.get_by_text(words["reply"], exact=True)).to_be_visible()
    expect(panel.get_by_role("button", name=re.compile("parcel.png"))).to_be_visible()
    box.fill(words["thanks"])
    box.press("Enter")
    expect(thread).to_contain_text(words["thanks"])
    # The visitor types again. The widget sends "typing" at most every 2.5 s and the server drops
    # typing frames beyond 3 in a burst (1 a second after), so one try may go unseen: try again.
    typing = agent.get_by_text(re.compile(re.escape(words["name"]) + ".*(is typing|正在输入)")).filter(visible=True).first
    for attempt in range(6):
        box.blur()
        box.fill("…" * (attempt + 1))
        try:
            expect(typing).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            continue
    expect(typing).to_be_visible()
    visitor.wait_for_load_state("networkidle")
    screenshot(visitor, f"widget-open-desktop-{lang}")
    agent.wait_for_load_state("networkidle")
    screenshot(agent, f"workspace-{lang}")

    chat = visitor_context.new_page()
    chat.goto(chat_page(visitor_context, kefu))
    expect(chat.get_by_role("main").get_by_role("textbox", name=words["box"], exact=True)).to_be_visible()
    chat.wait_for_load_state("networkidle")
    screenshot(chat, f"chat-page-desktop-{lang}")
    assert WORKSPACE_NAV[lang]

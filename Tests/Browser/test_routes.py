"""The pages a person opens by their printed address: /, /app/, /demo and /chat/{key}."""
from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from harness import screenshot


def status_and_type(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers.get("Content-Type") or ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type") or ""


def test_the_printed_workspace_address_opens_the_sign_in(kefu, contexts):
    page = contexts().new_page()
    page.goto(kefu.url + "/app/")
    expect(page.locator("kefu-sign-in form")).to_be_visible()


def test_the_chat_page_gets_its_own_script_and_stylesheet(kefu):
    assert status_and_type(kefu.url + "/chat/chat.js")[0] == 200
    assert "css" in status_and_type(kefu.url + "/chat/chat.css")[1]


def test_an_unknown_widget_key_gets_a_404_chat_page(kefu, contexts):
    assert status_and_type(kefu.url + "/chat/kfw_nope")[0] == 404
    # Said in the visitor's language, from the widget's string table.
    for lang, heading in (("en", "This chat does not exist"), ("zh-CN", "找不到此客服窗口")):
        page = contexts(lang).new_page()
        page.goto(kefu.url + "/chat/kfw_nope")
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == lang


def test_the_demo_page_embeds_the_demo_widget(kefu, standby, contexts):
    page = contexts().new_page()
    page.goto(kefu.url + "/demo")
    expect(page.get_by_role("button", name=re.compile("^Open chat"))).to_be_visible()
    assert kefu.widget_key in page.content()


def test_the_front_door_leads_to_the_workspace_and_the_demo(kefu, standby, contexts):
    page = contexts().new_page()
    page.goto(kefu.url + "/")
    expect(page.locator("#ready")).to_have_text("ready")
    screenshot(page, "front-door-en")
    page.get_by_role("link", name=re.compile("^Agent workspace")).click()
    expect(page.locator("kefu-sign-in form")).to_be_visible()
    page.goto(kefu.url + "/")
    page.get_by_role("link", name=re.compile("^Demo site")).click()
    expect(page.get_by_role("button", name=re.compile("^Open chat"))).to_be_visible()
    phone = contexts("zh-CN", viewport=(390, 844)).new_page()
    phone.goto(kefu.url + "/")
    expect(phone.get_by_role("link", name=re.compile("^客服工作台"))).to_be_visible()
    expect(phone.locator("#ready")).to_have_text("就绪")
    screenshot(phone, "front-door-phone-zh-CN")

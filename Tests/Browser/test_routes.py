"""The pages a person opens by their printed address: /, /app/, /demo and /chat/{key}."""
from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from harness import open_widget, screenshot


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


def test_the_demo_opened_as_localhost_embeds_the_widget_from_another_origin(kefu, standby, contexts):
    """The second demo address: the page on localhost, the widget's script, panel and socket on
    127.0.0.1 (two origins to the browser), and a message still goes through."""
    page = contexts().new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]) if "/widget" in request.url else None)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"http://localhost:{kefu.port}/demo")
    assert f'src="http://127.0.0.1:{kefu.port}/widget.js"' in page.content()
    panel = open_widget(page)
    box = panel.get_by_role("textbox", name="Message")
    box.fill("Hello from another origin")
    box.press("Enter")
    expect(panel.get_by_text("Hello from another origin", exact=True)).to_be_visible()
    expect(panel.get_by_text("Sending…")).to_have_count(0)
    assert hosts == {f"127.0.0.1:{kefu.port}"}, hosts
    assert sockets and all(url.startswith(f"ws://127.0.0.1:{kefu.port}/") for url in sockets), sockets

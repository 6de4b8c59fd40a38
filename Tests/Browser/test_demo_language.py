"""The demo shop speaks the visitor's language like every other surface: zh-CN or English from
the browser, every string of the page translated, switchable from its header, and the widget it
embeds in the same language."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from harness import open_widget

WORDS = {
    "en": {"title": "Ember & Oak — Handmade ceramics and home goods", "heading": "Slow-made pieces for everyday rituals",
           "ask": "Ask a question", "rating": "4.9 from 2,300 reviews", "add": "Add Celadon bud vase to cart", "added": "Added",
           "cart": "Cart, 3 items", "footer": "The chat in the corner is a live Kefu widget", "switch": "切换到中文",
           "open": "^Open chat"},
    "zh-CN": {"title": "Ember & Oak — 手作陶瓷与家居好物", "heading": "慢工细作，器物入日常",
              "ask": "咨询客服", "rating": "4.9 分，来自 2,300 条评价", "add": "将青瓷小花瓶加入购物车", "added": "已加入",
              "cart": "购物车，3 件商品", "footer": "角落里的聊天窗口是一个真实的 Kefu 小部件", "switch": "Switch to English",
              "open": "^打开在线客服"},
}

# Every element's text and label as the page shows it, and which still read as in the HTML.
UNTRANSLATED = """async () => {
  const { strings } = await import('/demo/strings.js');
  const left = [];
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const en = strings.en[el.dataset.i18n];
    if (en !== strings['zh-CN'][el.dataset.i18n] && el.textContent.trim() === en.trim()) left.push(el.dataset.i18n);
  }
  const missing = Object.keys(strings.en).filter(k => !(k in strings['zh-CN']) && !/1$/.test(k));
  return { left, missing };
}"""


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_demo_shop_is_in_the_browsers_language_with_its_widget(kefu, standby, contexts, lang):
    words = WORDS[lang]
    page = contexts(lang).new_page()
    page.goto(kefu.url + "/demo")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["heading"])
    expect(page).to_have_title(words["title"])
    assert page.evaluate("document.documentElement.lang") == lang
    expect(page.locator(".trust li").first).to_have_text(words["rating"])
    expect(page.locator(".trust li strong").first).to_have_text("4.9")
    footer = page.get_by_role("contentinfo")
    expect(footer).to_contain_text(words["footer"])
    expect(footer.get_by_role("link", name="Kefu")).to_have_attribute("href", "/")
    if lang == "zh-CN":
        found = page.evaluate(UNTRANSLATED)
        assert not found["missing"], f"zh-CN lacks {found['missing']}"
        assert not found["left"], f"still in English on the Chinese page: {found['left']}"

    add = page.get_by_role("button", name=words["add"], exact=True)
    add.click()
    expect(add).to_have_text(words["added"])
    expect(page.get_by_role("button", name=words["cart"], exact=True)).to_be_visible()

    # The widget on the page speaks the same language, and the page's own button opens it.
    expect(page.get_by_role("button", name=re.compile(words["open"]))).to_be_visible()
    page.get_by_role("button", name=words["ask"], exact=True).click()
    expect(page.get_by_role("dialog", name=re.compile("^Chat with" if lang == "en" else "^与.*聊天"))).to_be_visible()


def test_the_demo_shop_switches_language_from_its_header_and_the_widget_follows(kefu, standby, contexts):
    page = contexts("en").new_page()
    page.goto(kefu.url + "/demo")
    expect(page.get_by_role("heading", level=1)).to_have_text(WORDS["en"]["heading"])
    page.get_by_role("button", name=WORDS["en"]["switch"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(WORDS["zh-CN"]["heading"])
    expect(page.get_by_role("button", name=re.compile(WORDS["zh-CN"]["open"]))).to_be_visible()
    panel = open_widget(page, "zh-CN")
    expect(panel.get_by_role("textbox", name="消息", exact=True)).to_be_visible()
    # Remembered on the next page view, and switched back the same way.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(WORDS["zh-CN"]["heading"])
    page.get_by_role("button", name=WORDS["zh-CN"]["switch"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(WORDS["en"]["heading"])
    expect(page.get_by_role("button", name=re.compile(WORDS["en"]["open"]))).to_be_visible()

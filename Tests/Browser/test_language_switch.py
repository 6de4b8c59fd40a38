"""Both languages on request, not only from the browser's: the widget's header button and the
workspace's language menu switch every string at once, and the choice is remembered."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from harness import OWNER_EMAIL, WORKSPACE_NAV, open_widget


def test_the_widget_switches_language_from_its_header_and_remembers_it(kefu, site, standby, contexts):
    page = contexts("en").new_page()
    page.goto(site.page("/", "Northwind Outfitters"))
    panel = open_widget(page)
    expect(panel.get_by_role("textbox", name="Message", exact=True)).to_have_attribute("placeholder", "Write a message…")
    panel.get_by_role("button", name="切换到中文").click()
    # The panel names itself in Chinese now.
    panel = page.get_by_role("dialog", name=re.compile("^与.*聊天"))
    expect(panel.get_by_role("textbox", name="消息", exact=True)).to_have_attribute("placeholder", "输入消息…")
    expect(panel.get_by_role("button", name="Switch to English")).to_be_visible()
    # Another page of the site, an English browser: still in Chinese.
    page.reload()
    expect(page.get_by_role("button", name=re.compile("^打开在线客服"))).to_be_visible()
    zh = open_widget(page, "zh-CN")
    zh.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("dialog", name=re.compile("^Chat with")).get_by_role("textbox", name="Message", exact=True)).to_be_visible()


def test_the_workspace_switches_language_from_its_menu_and_remembers_it(kefu, contexts):
    page = contexts("en").new_page()
    page.goto(kefu.url + "/app/")
    form = page.locator("kefu-sign-in form")
    expect(form).to_be_visible()
    page.get_by_label("Language").select_option("zh-CN")
    expect(form.locator("button[type=submit]")).to_have_text(re.compile("登录"))
    form.locator("input[name=tenant]").fill("demo")
    form.locator("input[name=email]").fill(OWNER_EMAIL)
    form.locator("input[name=password]").fill(kefu.password)
    form.locator("button[type=submit]").click()
    expect(page.get_by_role("navigation", name=WORKSPACE_NAV["zh-CN"])).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^我的"))).to_be_visible()
    page.reload()
    expect(page.get_by_role("navigation", name=WORKSPACE_NAV["zh-CN"])).to_be_visible()


def test_chinese_strings_put_a_space_where_a_latin_name_meets_han_characters(kefu, contexts):
    page = contexts("zh-CN").new_page()
    page.goto(kefu.url + "/app/")
    filled = page.evaluate("""async () => {
        const { createI18n } = await import("/shared/i18n.js");
        const table = {en: {joined: "{name} joined"}, "zh-CN": {joined: "{name}已加入对话", to: "您的对话已转给{name}", team: "{name}团队"}};
        const zh = createI18n(table, {lang: "zh-CN"});
        const en = createI18n(table, {lang: "en"});
        return [zh.t("joined", {name: "Owner"}), zh.t("joined", {name: "王小明"}), zh.t("to", {name: "Alice"}),
                zh.t("team", {name: "Demo site"}), zh.t("team", {name: "售后"}), zh.t("joined", {name: "Owner（值班）"}),
                en.t("joined", {name: "Owner"})];
    }""")
    assert filled == ["Owner 已加入对话", "王小明已加入对话", "您的对话已转给 Alice", "Demo site 团队", "售后团队",
                      "Owner（值班）已加入对话", "Owner joined"]

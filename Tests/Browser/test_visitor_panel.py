"""The workspace's visitor panel: where the visitor came from (referrer), their language, their
device (read from the browser's user agent), and their earlier conversations, which open in the
chat pane."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import agent_opens, messages, sign_in, visitor_writes, visitor_writes_agent_opens

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.4 Mobile/15E148 Safari/604.1")
REFERRER = "https://search.example/results?q=trail+tents"


def details_of(agent):
    return agent.get_by_role("complementary", name="Visitor details")


def row_value(details, label: str):
    return details.locator(".info-row").filter(has=details.page.locator("dt", has_text=re.compile(f"^{label}$"))).locator("dd")


def test_the_visitor_panel_shows_the_referrer_language_and_device_of_the_visitors_browser(kefu, site, standby, contexts):
    name = f"Phone {uuid.uuid4().hex[:6]}"
    agent = contexts().new_page()
    visitor = contexts(lang="zh-CN", user_agent=IPHONE).new_page()
    sign_in(agent, kefu.url, kefu.password)
    visitor_writes(visitor, site.page("/tents", "Tents · Northwind Outfitters"), name, "这个帐篷防水吗？", lang="zh-CN", referer=REFERRER)
    assert visitor.evaluate("document.referrer") == REFERRER
    agent_opens(agent, name, "这个帐篷防水吗？")
    details = details_of(agent)
    referrer = row_value(details, "Referrer").get_by_role("link")
    expect(referrer).to_have_attribute("href", REFERRER)
    expect(referrer).to_have_text("search.example/results?q=trail+tents")
    expect(referrer).to_have_attribute("rel", "noopener noreferrer")
    expect(row_value(details, "Current page").get_by_role("link")).to_have_attribute("href", site.origin + "/tents")
    expect(row_value(details, "Language")).to_have_text("Chinese (China) (zh-CN)")
    expect(row_value(details, "Device")).to_have_text("Safari 17 on iOS 17")
    expect(row_value(details, "Device").locator(".device")).to_have_attribute("title", IPHONE)


def test_a_visitors_earlier_resolved_conversation_is_listed_and_opens_in_the_pane(kefu, site, standby, contexts):
    name = f"Returning {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "My first order never came")
    first_id = agent.evaluate("location.hash").rsplit("/", 1)[-1]
    details = details_of(agent)
    expect(details).to_contain_text("No other conversations.")
    agent.get_by_role("button", name="Resolve").click()
    expect(messages(agent)).to_contain_text("Resolved by Owner")

    # The visitor comes back with a new question: a second conversation.
    panel.get_by_role("button", name="Start a new conversation").click()
    box = panel.get_by_role("textbox", name="Message")
    box.fill("Now my second order is late too")
    box.press("Enter")
    agent.get_by_role("link", name=re.compile("^Mine")).click()
    second = agent.get_by_role("link", name=re.compile(re.escape(name))).filter(has_text="second order")
    expect(second).to_be_visible()
    second.click()
    expect(messages(agent)).to_contain_text("Now my second order is late too")
    second_id = agent.evaluate("location.hash").rsplit("/", 1)[-1]
    assert second_id != first_id

    past = details.locator(".past-list").get_by_role("link")
    expect(past).to_have_count(1)
    expect(past).to_contain_text("Resolved")
    past.click()
    expect(messages(agent)).to_contain_text("My first order never came")
    expect(messages(agent)).not_to_contain_text("Now my second order is late too")
    expect(agent.get_by_role("button", name="Reopen")).to_be_visible()
    assert agent.evaluate("location.hash").rsplit("/", 1)[-1] == first_id
    # From there, the current conversation is the one listed as past.
    back = details.locator(".past-list").get_by_role("link")
    expect(back).to_have_count(1)
    expect(back).to_contain_text("Open")
    back.click()
    expect(messages(agent)).to_contain_text("Now my second order is late too")

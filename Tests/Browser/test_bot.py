"""The bot as people meet it: a bot-first widget answers a visitor with a reply that grows as the
provider writes it, the visitor can ask for a person, and an agent sees the conversation with the
bot and takes it over."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from fake_llm import FakeLLM
from harness import agent_opens, messages, screenshot, sign_in, visitor_writes

ANSWER = "Our store opens at 9 am and closes at 9 pm every day. Is there anything else I can help you with?"
ANSWER_ZH = "我们每天上午九点开门，晚上九点关门。还有什么可以帮您的吗？"
PHONE = (390, 844)


def test_a_bot_first_widget_streams_its_answer_and_hands_over_to_a_person(kefu, owner, widget, site, standby, contexts):
    llm = FakeLLM(ANSWER)
    provider = owner.call("POST", "/api/v1/llm/providers", {
        "name": "Fake", "kind": "openai-compatible", "baseUrl": llm.base_url, "model": "fake", "isDefault": True,
        "firstTokenTimeoutMs": 5000, "totalTimeoutMs": 20000})
    owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"bot": {"enabled": True}})
    document = owner.call("POST", "/api/v1/knowledge/documents", {
        "title": "Store hours", "body": "# Opening hours\n\nWe open at 9 am and close at 9 pm, every day of the week."})
    try:
        visitor = contexts().new_page()
        name = f"Mei {uuid.uuid4().hex[:6]}"
        panel = visitor_writes(visitor, site.page("/", "Northwind Outfitters"), name, "When are you open?")
        # The answer grows in place, then stays as the stored message.
        expect(panel.get_by_text(re.compile("^Our store opens"))).to_be_visible()
        expect(panel.locator(".kp-streaming")).to_have_count(1)
        expect(panel.get_by_text(ANSWER, exact=True)).to_be_visible()
        expect(panel.locator(".kp-streaming")).to_have_count(0)
        # The answer names the knowledge it came from, set apart under it.
        expect(panel.locator(".kp-sources")).to_have_text("Sources: Store hours")
        expect(panel.get_by_text("You're chatting with")).to_be_visible()
        screenshot(visitor, "widget-bot-en")

        agent = contexts().new_page()
        sign_in(agent, kefu.url, kefu.password)
        agent.get_by_role("link", name=re.compile("^With the bot")).click()
        agent_opens(agent, name, ANSWER)
        expect(agent.locator(".msg-sources")).to_have_text("Sources: Store hours")
        expect(agent.get_by_text(re.compile("^The bot is answering this visitor"))).to_be_visible()
        expect(agent.get_by_role("button", name="Take over")).to_be_visible()
        screenshot(agent, "workspace-bot-en")

        # The agent watches the next answer being written, then sees it stored in its place.
        box = panel.get_by_role("textbox", name="Message")
        box.fill("Do you open on Sundays?")
        box.press("Enter")
        streaming = agent.locator(".msg-streaming")
        expect(streaming).to_have_count(1)
        expect(streaming).to_contain_text(re.compile("^Bot.*Our store"))
        expect(streaming).to_have_count(0)
        expect(messages(agent).get_by_text(ANSWER, exact=True)).to_have_count(2)

        # The visitor asks for a person: handed over, and (the owner being online) assigned.
        panel.get_by_role("button", name="Talk to a human").click()
        expect(panel.get_by_text("Connecting you with a member of our team…")).to_be_visible()
        expect(messages(agent)).to_contain_text("The visitor asked for a person; the bot handed over")
        expect(agent.get_by_role("button", name="Resolve")).to_be_visible()
        expect(panel.get_by_text("You're chatting with")).to_have_count(0)
    finally:
        owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"bot": {"enabled": False}})
        owner.call("DELETE", f"/api/v1/llm/providers/{provider['id']}")
        owner.call("DELETE", f"/api/v1/knowledge/documents/{document['id']}")
        llm.close()


def test_on_a_phone_in_chinese_the_bot_answers_with_its_sources_and_the_workspace_shows_it(kefu, owner, widget, site, standby, contexts):
    llm = FakeLLM(ANSWER_ZH)
    provider = owner.call("POST", "/api/v1/llm/providers", {
        "name": "Fake", "kind": "openai-compatible", "baseUrl": llm.base_url, "model": "fake", "isDefault": True,
        "firstTokenTimeoutMs": 5000, "totalTimeoutMs": 20000})
    owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"bot": {"enabled": True}})
    document = owner.call("POST", "/api/v1/knowledge/documents", {
        "title": "营业时间", "body": "# 门店营业时间\n\n我们每天上午九点开门，晚上九点关门，节假日照常营业。"})
    try:
        context = contexts("zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        visitor = context.new_page()
        name = f"王芳 {uuid.uuid4().hex[:4]}"
        panel = visitor_writes(visitor, site.page("/", "Northwind Outfitters"), name, "你们几点开门？", lang="zh-CN")
        expect(panel.get_by_text(ANSWER_ZH, exact=True)).to_be_visible()
        expect(panel.locator(".kp-streaming")).to_have_count(0)
        expect(panel.locator(".kp-sources")).to_have_text("来源：营业时间")
        expect(panel.get_by_role("button", name="转人工")).to_be_visible()
        screenshot(visitor, "widget-bot-phone-zh-CN")

        agent = contexts("zh-CN").new_page()
        sign_in(agent, kefu.url, kefu.password, lang="zh-CN")
        agent.get_by_role("link", name=re.compile("^机器人接待中")).click()
        row = agent.get_by_role("link", name=re.compile(re.escape(name)))
        expect(row).to_be_visible()
        row.click()
        expect(agent.get_by_role("region", name="消息")).to_contain_text(ANSWER_ZH)
        expect(agent.locator(".msg-sources")).to_have_text("来源：营业时间")
        expect(agent.get_by_role("button", name="接管")).to_be_visible()
        screenshot(agent, "workspace-bot-zh-CN")

        # Taking over: the bot stops, the agent replies, the visitor sees a person answer.
        agent.get_by_role("button", name="接管").click()
        expect(agent.get_by_role("button", name="解决")).to_be_visible()
        expect(agent.get_by_text("机器人正在接待此访客。接管后由您回复，机器人会立即停止。")).to_be_hidden()
        composer = agent.get_by_role("textbox", name=re.compile("回复|消息"))
        composer.fill("您好，我是客服小李。")
        composer.press("Enter")
        expect(panel.get_by_text("您好，我是客服小李。", exact=True)).to_be_visible()
        expect(panel.get_by_role("button", name="转人工")).to_have_count(0)
    finally:
        owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"bot": {"enabled": False}})
        owner.call("DELETE", f"/api/v1/llm/providers/{provider['id']}")
        owner.call("DELETE", f"/api/v1/knowledge/documents/{document['id']}")
        llm.close()

"""Sensitive words as people meet them: a visitor's blocked message shows as not sent (no retry,
only discard), a masked one arrives masked on both sides, and an agent's blocked reply names the
rule's category in the workspace."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from harness import messages, visitor_writes_agent_opens


def test_blocked_and_masked_messages_read_as_people_expect(kefu, owner, site, standby, contexts):
    rules = [
        owner.call("POST", "/api/v1/words", {"pattern": "加微信", "action": "block", "category": "contact", "senders": ["visitor"]}),
        owner.call("POST", "/api/v1/words", {"pattern": "笨蛋", "action": "mask"}),
        owner.call("POST", "/api/v1/words", {"pattern": "内部价", "action": "block", "category": "pricing", "senders": ["agent"]}),
    ]
    try:
        agent = contexts().new_page()
        visitor = contexts().new_page()
        name = f"Wen {uuid.uuid4().hex[:6]}"
        panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Hello there")

        box = panel.get_by_role("textbox", name="Message")
        box.fill("加 微 信 聊吧")
        box.press("Enter")
        expect(panel.get_by_text("Not sent: it contains words that are not allowed here. Please rephrase.")).to_be_visible()
        expect(panel.get_by_role("button", name="Retry")).to_have_count(0)
        panel.get_by_role("button", name="Delete").click()
        expect(panel.get_by_text("加 微 信 聊吧")).to_have_count(0)
        expect(messages(agent)).not_to_contain_text("微 信")

        box.fill("你这个笨*蛋")
        box.press("Enter")
        expect(panel.get_by_text("你这个***", exact=True)).to_be_visible()
        expect(messages(agent).get_by_text("你这个***", exact=True)).to_be_visible()
        expect(panel.get_by_text("笨*蛋")).to_have_count(0)

        composer = agent.get_by_role("textbox", name="Message")
        composer.fill("内部价是 80 元")
        composer.press("Enter")
        expect(messages(agent).get_by_text("it contains words blocked by the rules (pricing)")).to_be_visible()
        expect(panel.get_by_text("内部价是 80 元")).to_have_count(0)
    finally:
        for rule in rules:
            owner.call("DELETE", f"/api/v1/words/{rule['id']}")

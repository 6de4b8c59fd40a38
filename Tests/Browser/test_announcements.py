"""New messages are announced to screen readers: the workspace's live region names the visitor
and their words, the widget's names the agent and the reply."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import visitor_writes_agent_opens


def test_new_messages_are_announced_in_live_regions_on_both_sides(kefu, site, standby, contexts):
    name = f"Lin {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Is the lantern waterproof?")

    visitor_box = panel.get_by_role("textbox", name="Message")
    visitor_box.fill("And does it float?")
    visitor_box.press("Enter")
    agent_live = agent.locator("kefu-message-list [aria-live='polite']")
    expect(agent_live).to_have_text(re.compile(f"^New message from {re.escape(name)}: And does it float\\?$"))

    composer = agent.get_by_role("textbox", name="Message")
    composer.fill("It does, for an hour.")
    composer.press("Enter")
    widget_live = panel.locator("[aria-live='polite']").filter(has_text="New message from")
    expect(widget_live).to_have_text(re.compile(r"^New message from .+: It does, for an hour\.$"))

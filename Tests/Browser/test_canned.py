"""Canned replies in the workspace: "/" in the composer lists them, the keyboard picks one, and
its variables are filled with the visitor's and the agent's names."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from harness import messages, screenshot, visitor_writes_agent_opens


def test_a_slash_offers_canned_replies_and_fills_their_variables(kefu, owner, site, standby, contexts):
    shortcut = f"thanks{uuid.uuid4().hex[:4]}"
    reply = owner.call("POST", "/api/v1/canned-replies", {"shortcut": shortcut, "body": "Thanks {{visitor.name}}! {{agent.name}} here."})
    try:
        agent = contexts().new_page()
        visitor = contexts().new_page()
        name = f"Ravi {uuid.uuid4().hex[:6]}"
        panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Hello!")
        composer = agent.get_by_role("textbox", name="Message")
        composer.fill("/" + shortcut[:5])
        menu = agent.get_by_role("listbox", name="Canned replies")
        expect(menu).to_be_visible()
        expect(menu.get_by_role("option").first).to_contain_text("/" + shortcut)
        screenshot(agent, "workspace-canned-en")
        composer.press("Enter")
        expect(composer).to_have_value(f"Thanks {name}! Owner here.")
        expect(menu).to_be_hidden()
        composer.press("Enter")
        expect(messages(agent)).to_contain_text(f"Thanks {name}! Owner here.")
        expect(panel.get_by_text(f"Thanks {name}! Owner here.", exact=True)).to_be_visible()
    finally:
        owner.call("DELETE", f"/api/v1/canned-replies/{reply['id']}")

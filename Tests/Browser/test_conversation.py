"""Journeys 1 and 5: a visitor on another origin and an agent in /app talk, then rate."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import messages, open_widget, set_presence, sign_in, visitor_writes_agent_opens

PRE_CHAT = [
    {"label": "Your name", "name": "name", "required": True, "type": "text"},
    {"label": "Email", "name": "email", "required": True, "type": "email"},
    {"label": "Order number", "name": "order", "required": False, "type": "text"},
]


def test_visitor_on_another_origin_chats_with_an_agent_who_accepts_from_the_queue(kefu, owner, widget, site, standby, contexts):
    owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"preChatFields": PRE_CHAT})
    name = f"Ada {uuid.uuid4().hex[:6]}"
    agent = contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    # Away: the new conversation waits in the queue instead of being assigned at once.
    set_presence(agent, "Away")
    try:
        agent.get_by_role("link", name=re.compile("^Unassigned")).click()

        visitor = contexts().new_page()
        visitor.goto(site.page("/", "Northwind Outfitters"))
        panel = open_widget(visitor)
        panel.get_by_label("Your name").fill(name)
        panel.get_by_label("Email").fill("not-an-email")
        panel.get_by_role("button", name="Start chatting").click()
        expect(panel.get_by_text("Please enter a valid email address.")).to_be_visible()
        panel.get_by_label("Email").fill("ada@example.com")
        panel.get_by_label("Order number").fill("NW-1042")
        panel.get_by_role("button", name="Start chatting").click()

        box = panel.get_by_role("textbox", name="Message")
        box.fill("Hi, where is my order?")
        box.press("Enter")
        expect(panel.get_by_text("Hi, where is my order?")).to_be_visible()
        expect(panel.get_by_text(re.compile("number \\d+ in line|Waiting for the next available agent"))).to_be_visible()

        # The queue shows it live; the agent opens and accepts it.
        row = agent.get_by_role("link", name=re.compile(re.escape(name)))
        expect(row).to_be_visible()
        expect(row).to_contain_text("Hi, where is my order?")
        row.click()
        expect(messages(agent)).to_contain_text("Hi, where is my order?")
        details = agent.get_by_role("complementary", name="Visitor details")
        expect(details).to_contain_text("ada@example.com")
        expect(details).to_contain_text("NW-1042")
        agent.get_by_role("button", name="Accept").click()
        expect(agent.get_by_role("button", name="Resolve")).to_be_visible()
        expect(messages(agent)).to_contain_text("Owner took the conversation")
        expect(panel.get_by_text("Owner joined the conversation")).to_be_visible()

        # The visitor types: the agent sees it; the visitor's first message shows as seen.
        box.fill("It was NW-1042")
        expect(agent.get_by_text(f"{name} is typing…").first).to_be_visible()
        expect(panel.get_by_text(re.compile("· Seen$"))).to_be_visible()
        box.press("Enter")
        expect(messages(agent).get_by_text("It was NW-1042")).to_have_count(1)

        # The agent types and replies: the visitor sees both, and the agent sees the reply read.
        composer = agent.get_by_role("textbox", name="Message")
        composer.fill("It ships tomorrow: https://track.example/NW-1042")
        expect(panel.get_by_role("status", name="Owner is typing…")).to_be_visible()
        composer.press("Enter")
        reply = panel.get_by_text("It ships tomorrow: https://track.example/NW-1042", exact=True)
        expect(reply).to_be_visible()
        link = panel.get_by_role("link", name="https://track.example/NW-1042")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(link).to_have_attribute("href", "https://track.example/NW-1042")
        mine = messages(agent).locator("li[data-seq]").filter(has_text="It ships tomorrow")
        expect(mine).to_have_count(1)
        expect(mine.locator("[data-status=seen]")).to_be_visible()
        expect(panel.get_by_role("status", name="Owner is typing…")).to_have_count(0)
    finally:
        set_presence(agent, "Online")
        owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"preChatFields": []})


def test_resolve_asks_the_visitor_to_rate_and_the_rating_shows_in_the_workspace(kefu, site, standby, contexts):
    name = f"Rater {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Thanks, that solved it")

    agent.get_by_role("button", name="Resolve").click()
    expect(messages(agent)).to_contain_text("Resolved by Owner")
    expect(agent.get_by_role("button", name="Reopen")).to_be_visible()

    expect(panel.get_by_text("How would you rate this conversation?")).to_be_visible()
    expect(panel.get_by_role("button", name="Send feedback")).to_be_disabled()
    panel.get_by_role("radio", name="4 out of 5").click()
    expect(panel.get_by_role("radio", name="4 out of 5")).to_have_attribute("aria-checked", "true")
    panel.get_by_role("textbox", name="Tell us more (optional)").fill("Quick and friendly")
    panel.get_by_role("button", name="Send feedback").click()
    expect(panel.get_by_text("Thanks for your feedback!")).to_be_visible()
    expect(panel.get_by_role("img", name="4 out of 5")).to_be_visible()

    expect(messages(agent)).to_contain_text("The visitor rated the conversation 4 / 5")
    expect(agent.get_by_text("Rated 4 / 5").first).to_be_visible()

    # After rating, the visitor can start over; the rated conversation stays as it was.
    panel.get_by_role("button", name="Start a new conversation").click()
    box = panel.get_by_role("textbox", name="Message")
    box.fill("One more question")
    box.press("Enter")
    expect(panel.get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()
    expect(messages(agent)).to_contain_text("The visitor rated the conversation 4 / 5")
    expect(messages(agent)).not_to_contain_text("One more question")

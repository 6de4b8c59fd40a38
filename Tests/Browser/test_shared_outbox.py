"""Two tabs of the same site share the visitor's outbox (localStorage): a message typed offline in
one tab shows as sending in both, and once both come back online it is stored once — shown once in
each tab and once to the agent — whether the visitor had a conversation, a name, or nothing yet
(two anonymous tabs must not become two visitors who each store it). A message left by a tab
closed meanwhile is sent by the tab still open."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from harness import identify, messages, open_widget, sign_in


class Network:
    """The visitor sockets of one browser context, which can all be cut together: the browser
    reports offline and every socket is closed and refused until `up()` (a closed laptop lid)."""

    def __init__(self, context):
        self.context = context
        self.down_now = False
        self.sockets = []
        context.route_web_socket(re.compile(r"/ws/visitor"), self.route)

    def route(self, ws):
        if self.down_now:
            ws.close(code=1006, reason="offline")
            return
        ws.connect_to_server()
        self.sockets.append(ws)

    def down(self):
        self.context.set_offline(True)
        self.down_now = True
        for ws in self.sockets:
            ws.close(code=1006, reason="offline")
        self.sockets.clear()

    def up(self):
        self.down_now = False
        self.context.set_offline(False)


def assert_stored_once(owner, tag: str, text: str) -> None:
    """The server holds `text` once, in the one conversation that mentions `tag`."""
    conversations = owner.wait_for("the conversation with the message", lambda: owner.call("GET", f"/api/v1/conversations?q={tag}&limit=10")["items"],
                                   lambda items: len(items) >= 1)
    stored = [m for c in conversations for m in owner.call("GET", f"/api/v1/conversations/{c['id']}/messages?limit=200")["items"]
              if m.get("text") == text]
    assert len(conversations) == 1 and len(stored) == 1, f"{len(conversations)} conversations, the message stored {len(stored)} times"


def thread_count(panel, text: str):
    return panel.get_by_role("region", name="Conversation").get_by_text(text, exact=True)


@pytest.mark.parametrize("moment", ["first message", "first message, anonymous", "later message"])
def test_a_message_typed_offline_in_one_tab_is_sent_once_when_both_tabs_come_back(kefu, owner, site, standby, contexts, moment):
    tag = uuid.uuid4().hex[:6]
    text = f"Typed in the first tab while offline {tag}"
    agent = contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)

    context = contexts()
    network = Network(context)
    url = site.page("/", "Northwind Outfitters")
    first = context.new_page()
    first.goto(url)
    if moment != "first message, anonymous":
        identify(first, f"Two tabs {tag}")
    first_panel = open_widget(first)
    first_box = first_panel.get_by_role("textbox", name="Message")
    if moment == "later message":
        first_box.fill(f"Hello from the first tab {tag}")
        first_box.press("Enter")
        expect(first_panel.get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()
    second = context.new_page()
    second.goto(url)
    second_panel = open_widget(second)
    # Both tabs are connected (and, for a later message, both show the conversation).
    for panel in (first_panel, second_panel):
        expect(panel.get_by_text(re.compile("Reconnecting|Connecting"))).to_have_count(0)
        if moment == "later message":
            expect(thread_count(panel, f"Hello from the first tab {tag}")).to_have_count(1)

    network.down()
    for panel in (first_panel, second_panel):
        expect(panel.get_by_text("Reconnecting…").first).to_be_visible()
    first_box.fill(text)
    first_box.press("Enter")
    # The other tab reads the same outbox: the message shows there too, as sending.
    for panel in (first_panel, second_panel):
        expect(thread_count(panel, text)).to_have_count(1)
        expect(panel.get_by_text("Sending…")).to_have_count(1)

    network.up()
    for panel in (first_panel, second_panel):
        expect(panel.get_by_text("Sending…")).to_have_count(0, timeout=30_000)
        expect(panel.get_by_text(re.compile("Reconnecting"))).to_have_count(0)
        expect(thread_count(panel, text)).to_have_count(1)
    outbox = first.evaluate("Object.keys(localStorage).filter(k => /outbox/.test(k)).map(k => localStorage.getItem(k)).join('')")
    assert text not in outbox, f"the outbox still holds the sent message: {outbox!r}"

    # The server stored it once, in one conversation of one visitor.
    assert_stored_once(owner, tag, text)
    # The agent sees one conversation with it once.
    row = agent.get_by_role("region", name="Conversation list").get_by_role("link").filter(has_text=tag)
    expect(row).to_have_count(1)
    row.click()
    expect(messages(agent).get_by_text(text, exact=True)).to_have_count(1)
    # Both tabs still show it once after the dust settles (a late echo would add a second), and
    # both are the same visitor now.
    first.wait_for_timeout(1000)
    for panel in (first_panel, second_panel):
        expect(thread_count(panel, text)).to_have_count(1)
    tokens = {page.evaluate("Object.entries(localStorage).filter(([k]) => k.endsWith(':token')).map(([, v]) => v).join()") for page in (first, second)}
    assert len(tokens) == 1 and "" not in tokens, f"the tabs hold different visitor tokens: {tokens}"


def test_a_message_left_offline_by_a_tab_since_closed_is_sent_once_by_the_tab_still_open(kefu, owner, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    text = f"Typed in a tab closed before the network came back {tag}"
    context = contexts()
    network = Network(context)
    url = site.page("/", "Northwind Outfitters")
    first, second = context.new_page(), context.new_page()
    first.goto(url)
    first_panel = open_widget(first)
    second.goto(url)
    second_panel = open_widget(second)
    network.down()
    box = first_panel.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(thread_count(second_panel, text)).to_have_count(1)
    first.close()

    network.up()
    expect(second_panel.get_by_text("Sending…")).to_have_count(0, timeout=30_000)
    expect(thread_count(second_panel, text)).to_have_count(1)
    assert_stored_once(owner, tag, text)

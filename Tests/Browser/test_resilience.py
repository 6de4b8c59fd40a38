"""Journeys 2 and 3: nothing typed is lost when a connection drops or the visitor reloads."""
from __future__ import annotations

import re
import uuid

import pytest

from playwright.sync_api import expect

from harness import Proxy, agent_opens, messages, open_widget, sign_in, visitor_writes, visitor_writes_agent_opens


def agent_messages(page):
    """The agent's message items (sent ones carry data-seq, unsent ones data-client-id)."""
    return page.get_by_role("region", name="Messages").locator("li[data-seq], li[data-client-id]")


def assert_once_in_order(texts: list[str], wanted: list[str], where: str) -> None:
    positions = []
    for text in wanted:
        hits = [i for i, item in enumerate(texts) if text in item]
        assert len(hits) == 1, f"{where}: {text!r} shown {len(hits)} times in {texts}"
        positions.append(hits[0])
    assert positions == sorted(positions), f"{where}: out of order: {wanted} at {positions} in {texts}"


def widget_texts(panel) -> list[str]:
    """The widget thread's lines, in order (the region's text, one bubble per line)."""
    return [line.strip() for line in panel.get_by_role("region", name="Conversation").inner_text().splitlines() if line.strip()]


def test_agent_connection_cut_by_a_proxy_loses_and_doubles_nothing(kefu, site, standby, contexts):
    proxy = Proxy(int(kefu.port))
    try:
        name = f"Cut {uuid.uuid4().hex[:6]}"
        agent = contexts().new_page()
        sign_in(agent, proxy.url, kefu.password)
        panel = visitor_writes(contexts().new_page(), site.page("/", "Northwind Outfitters"), name, "before the cut")
        agent_opens(agent, name, "before the cut")
        expect(agent_messages(agent).filter(has_text="before the cut")).to_have_count(1)
        box = panel.get_by_role("textbox", name="Message")

        proxy.cut()
        expect(agent.get_by_text("Connection lost. Reconnecting…")).to_be_visible()
        sent = ["cut one: alpha", "cut two: bravo", "cut three: charlie"]
        for text in sent:
            box.fill(text)
            box.press("Enter")
        for text in sent:
            expect(panel.get_by_text(text, exact=True)).to_be_visible()
        expect(panel.get_by_text("Sending…")).to_have_count(0)

        composer = agent.get_by_role("textbox", name="Message")
        composer.fill("reply typed while cut off")
        composer.press("Enter")
        queued = agent.get_by_role("region", name="Messages").locator("li[data-client-id]").filter(has_text="reply typed while cut off")
        expect(queued).to_be_visible()
        expect(queued).to_contain_text(re.compile("Waiting for the connection…|Sending…"))

        proxy.restore()
        expect(agent.get_by_text("Connection lost. Reconnecting…")).to_have_count(0)
        expect(agent.get_by_role("region", name="Messages").locator("li[data-client-id]")).to_have_count(0)
        expect(panel.get_by_text("reply typed while cut off", exact=True)).to_be_visible()

        everything = ["before the cut", *sent, "reply typed while cut off"]
        expect(agent_messages(agent).filter(has_text="reply typed while cut off")).to_have_count(1)
        for text in sent:
            expect(agent_messages(agent).filter(has_text=text)).to_have_count(1)
        assert_once_in_order(agent_messages(agent).all_inner_texts(), everything, "workspace")
        assert_once_in_order(widget_texts(panel), everything, "widget")
    finally:
        proxy.close()


def test_visitor_history_and_outbox_survive_reloads_and_going_offline(kefu, owner, site, standby, contexts):
    context = contexts()
    state = {"down": False, "routes": []}

    def route(ws):
        # The page's visitor socket: passed through, or refused while "down".
        if state["down"]:
            ws.close(code=1006, reason="offline")
            return
        ws.connect_to_server()
        state["routes"].append(ws)

    context.route_web_socket(re.compile(r"/ws/visitor"), route)
    name = f"Reload {uuid.uuid4().hex[:6]}"
    visitor = context.new_page()
    visitor_writes(visitor, site.page("/", "Northwind Outfitters"), name, "my first message", sent=True)

    # A reload keeps the history (the visitor token is in the page's localStorage).
    visitor.reload()
    panel = open_widget(visitor)
    expect(panel.get_by_text("my first message", exact=True)).to_be_visible()

    # Offline: the browser says so and the open socket is cut.
    context.set_offline(True)
    state["down"] = True
    for ws in state["routes"]:
        ws.close(code=1006, reason="offline")
    state["routes"].clear()
    expect(panel.get_by_text("Reconnecting…").first).to_be_visible()
    box = panel.get_by_role("textbox", name="Message")
    box.fill("typed while offline")
    box.press("Enter")
    expect(panel.get_by_text("typed while offline", exact=True)).to_be_visible()
    expect(panel.get_by_text("Sending…")).to_be_visible()
    stored = visitor.evaluate("Object.keys(localStorage).filter(k => /outbox/.test(k)).map(k => localStorage.getItem(k)).join(' ')")
    assert "typed while offline" in stored, f"the outbox is not in localStorage: {stored!r}"

    # Reload while the server is still unreachable (the page itself must load, so the browser is
    # back online but every visitor socket is refused): the outbox is still there, still unsent.
    context.set_offline(False)
    visitor.reload()
    panel = open_widget(visitor)
    expect(panel.get_by_text("typed while offline", exact=True)).to_be_visible()
    expect(panel.get_by_text("Sending…")).to_be_visible()
    box = panel.get_by_role("textbox", name="Message")
    box.fill("typed after the reload")
    box.press("Enter")
    expect(panel.get_by_text("typed after the reload", exact=True)).to_be_visible()

    # Back online: both go out once, in order, and nothing is left sending.
    state["down"] = False
    expect(panel.get_by_text("Sending…")).to_have_count(0, timeout=30_000)
    everything = ["my first message", "typed while offline", "typed after the reload"]
    assert_once_in_order(widget_texts(panel), everything, "widget")
    conversation = owner.wait_for("the visitor's conversation", lambda: owner.call("GET", f"/api/v1/conversations?q={name.replace(' ', '+')}&limit=5")["items"],
                                  lambda items: len(items) == 1)[0]
    texts = [m.get("text") or "" for m in owner.call("GET", f"/api/v1/conversations/{conversation['id']}/messages?limit=200")["items"]
             if m.get("kind") == "text" and m.get("senderType") == "visitor"]
    assert texts == everything, f"the server has {texts}"


def test_a_message_still_sending_is_drawn_as_the_visitors_own(kefu, site, standby, contexts):
    context = contexts()
    context.route_web_socket(re.compile(r"/ws/visitor"), lambda ws: ws.close(code=1006, reason="offline"))
    page = context.new_page()
    page.goto(site.page("/", "Northwind Outfitters"))
    panel = open_widget(page)
    box = panel.get_by_role("textbox", name="Message")
    box.fill("still sending")
    box.press("Enter")
    expect(panel.get_by_text("Sending…")).to_be_visible()
    expect(panel.locator(".kp-group.kp-me").filter(has_text="still sending")).to_have_count(1, timeout=3_000)


def test_an_agents_reply_typed_offline_survives_a_reload_and_is_sent_once(kefu, site, standby, contexts):
    agent_context = contexts()
    state = {"down": False}

    def route(ws):
        if state["down"]:
            ws.close(code=1006, reason="offline")
        else:
            ws.connect_to_server()

    agent_context.route_web_socket(re.compile(r"/ws/agent"), route)
    agent, visitor = agent_context.new_page(), contexts().new_page()
    name = f"Outbox {uuid.uuid4().hex[:6]}"
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Did my refund go through?")

    # The agent's connection is gone (the page reloaded into a dead network): the reply waits.
    state["down"] = True
    agent.reload()
    composer = agent.get_by_role("textbox", name="Message")
    expect(composer).to_be_visible()
    composer.fill("Yes, this morning")
    composer.press("Enter")
    waiting = messages(agent).locator("li[data-client-id]").filter(has_text="Yes, this morning")
    expect(waiting).to_contain_text(re.compile("Waiting for the connection…|Sending…"))

    # Another reload, still offline: the reply is still there, still waiting.
    agent.reload()
    expect(messages(agent).locator("li[data-client-id]").filter(has_text="Yes, this morning")).to_be_visible()

    # Back online: sent once, seen once on both sides.
    state["down"] = False
    expect(messages(agent).locator("li[data-client-id]")).to_have_count(0, timeout=30_000)
    expect(panel.get_by_text("Yes, this morning", exact=True)).to_have_count(1)
    expect(messages(agent).get_by_text("Yes, this morning", exact=True)).to_have_count(1)


def test_a_second_tab_shows_the_conversation_and_both_tabs_see_each_others_messages(kefu, site, standby, contexts):
    context = contexts()
    url = site.page("/", "Northwind Outfitters")
    first = context.new_page()
    first.goto(url)
    first_panel = open_widget(first)
    box = first_panel.get_by_role("textbox", name="Message")
    box.fill("Written in the first tab")
    box.press("Enter")
    expect(first_panel.get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()

    second = context.new_page()
    second.goto(url)
    second_panel = open_widget(second)
    expect(second_panel.get_by_text("Written in the first tab", exact=True)).to_be_visible()
    other_box = second_panel.get_by_role("textbox", name="Message")
    other_box.fill("Written in the second tab")
    other_box.press("Enter")
    expect(first_panel.get_by_text("Written in the second tab", exact=True)).to_have_count(1)
    expect(second_panel.get_by_text("Written in the second tab", exact=True)).to_have_count(1)

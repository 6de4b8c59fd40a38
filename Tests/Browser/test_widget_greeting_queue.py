"""What the widget's panel says before anyone answers: the greeting set on the widget, and, while
the visitor waits behind another queued conversation, their number in the queue."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import open_widget, set_presence, sign_in, visitor_writes


def widget_page(site, path: str, key: str) -> str:
    """A page of the visitor site that embeds the widget with `key`."""
    url = site.page(path, "Northwind Outlet")
    site.pages[path] = site.pages[path].replace(site.key.encode(), key.encode())
    return url


def test_the_greeting_set_on_a_widget_shows_in_its_panel_before_and_after_the_first_message(kefu, owner, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    greeting = f"Welcome to the Outlet {tag}! Ask us about sizes."
    outlet = owner.call("POST", "/api/v1/widgets", {"name": f"Greeter {tag}", "allowedOrigins": [site.origin], "greeting": greeting})
    page = contexts().new_page()
    page.goto(widget_page(site, f"/greeter-{tag}", outlet["publicKey"]))
    panel = open_widget(page)
    expect(panel.get_by_text(greeting)).to_be_visible()
    expect(panel.get_by_text("Hi there! How can we help?")).to_have_count(0)

    box = panel.get_by_role("textbox", name="Message")
    box.fill("Do you have size 44?")
    box.press("Enter")
    expect(panel.get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()
    # Once the chat has started, the greeting opens the thread, above the visitor's message.
    body = panel.get_by_role("region", name=re.compile("."))
    expect(body.get_by_text(greeting)).to_be_visible()
    order = body.evaluate("(el, texts) => texts.map(t => el.innerText.indexOf(t))", [greeting, "Do you have size 44?"])
    assert -1 < order[0] < order[1], order

    # A changed greeting reaches a new visit.
    owner.call("PATCH", f"/api/v1/widgets/{outlet['id']}", {"greeting": f"Back soon {tag}"})
    fresh = contexts().new_page()
    fresh.goto(widget_page(site, f"/greeter-{tag}", outlet["publicKey"]))
    expect(open_widget(fresh).get_by_text(f"Back soon {tag}")).to_be_visible()


def test_a_visitor_behind_another_queued_conversation_sees_their_number_in_the_queue(kefu, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    agent = contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    # Away: nobody takes the conversations (the standby agent has no room), so they queue.
    set_presence(agent, "Away")
    try:
        first_panel = visitor_writes(contexts().new_page(), site.page("/", "Northwind Outfitters"), f"First {tag}", "Anyone there?")
        expect(first_panel.get_by_text("You're number 1 in line. Someone will be with you shortly.")).to_be_visible()

        # The second visitor reads Chinese: the same number, in their words.
        second_panel = visitor_writes(contexts(lang="zh-CN").new_page(), site.page("/", "Northwind Outfitters"), f"Second {tag}", "有人吗？", lang="zh-CN")
        expect(second_panel.get_by_text("您当前排在第 2 位，请稍候，客服马上就来。")).to_be_visible()
        expect(first_panel.get_by_text("You're number 1 in line. Someone will be with you shortly.")).to_be_visible()

        # The first is taken: the second moves up to number 1.
        agent.get_by_role("link", name=re.compile("^Unassigned")).click()
        agent.get_by_role("link", name=re.compile(f"First {tag}")).click()
        agent.get_by_role("button", name="Accept").click()
        expect(agent.get_by_role("button", name="Resolve")).to_be_visible()
        expect(first_panel.get_by_text(re.compile("in line"))).to_have_count(0)
        expect(second_panel.get_by_text("您当前排在第 1 位，请稍候，客服马上就来。")).to_be_visible()
    finally:
        set_presence(agent, "Online")

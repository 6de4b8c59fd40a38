"""The widget's page API, as a site's own script uses it: Kefu.open() and Kefu.close(),
Kefu.on("message" | "unread") with the launcher's unread badge, Kefu.identify() reaching the
workspace's visitor panel, and no global besides `Kefu`."""
from __future__ import annotations

import hashlib
import hmac
import re
import uuid

from playwright.sync_api import expect

from harness import messages, sign_in

LISTEN = """() => {
    window.__kefuEvents = [];
    window.__kefuOff = {
        message: Kefu.on("message", (m) => __kefuEvents.push({type: "message", text: m.text, senderType: m.senderType, senderName: m.senderName})),
        unread: Kefu.on("unread", (n) => __kefuEvents.push({type: "unread", n})),
    };
}"""


def panel_of(page):
    return page.get_by_role("dialog", name=re.compile("^Chat with"))


def events(page, kind: str) -> list:
    return [e for e in page.evaluate("window.__kefuEvents") if e["type"] == kind]


def test_kefu_open_close_and_on_report_an_agent_reply_while_closed_with_the_unread_badge(kefu, site, standby, contexts):
    name = f"Api {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    visitor.goto(site.page("/", "Northwind Outfitters"))
    visitor.wait_for_function("() => window.Kefu && window.Kefu.version")
    visitor.evaluate(LISTEN)
    visitor.evaluate("name => Kefu.identify({name})", name)

    # Kefu.open(): the panel opens as the launcher would open it.
    launcher = visitor.locator("[data-kefu-widget] .kl-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    visitor.evaluate("Kefu.open()")
    panel = panel_of(visitor)
    expect(panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(launcher).to_have_accessible_name("Close chat")
    box = panel.get_by_role("textbox", name="Message")
    box.fill("Is the blue tent in stock?")
    box.press("Enter")
    expect(panel.get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()

    row = agent.get_by_role("link", name=re.compile(re.escape(name)))
    expect(row).to_be_visible()
    row.click()
    expect(messages(agent)).to_contain_text("Is the blue tent in stock?")

    # Kefu.close(): the panel closes; an agent reply now counts as unread.
    visitor.evaluate("Kefu.close()")
    expect(panel).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    composer = agent.get_by_role("textbox", name="Message")
    composer.fill("Yes, three left")
    composer.press("Enter")

    visitor.wait_for_function("() => __kefuEvents.some(e => e.type === 'unread' && e.n === 1)")
    assert events(visitor, "message") == [{"type": "message", "text": "Yes, three left", "senderType": "agent", "senderName": "Owner"}]
    expect(launcher).to_have_accessible_name("Open chat (1 unread message)")
    badge = visitor.locator("[data-kefu-widget] .kl-badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1")
    expect(visitor).to_have_title(re.compile(r"^\(1\) New message · Northwind Outfitters$"))

    # Opening reads it: the badge goes, and "unread" reports 0.
    visitor.evaluate("Kefu.open()")
    expect(panel.get_by_text("Yes, three left", exact=True)).to_be_visible()
    expect(badge).to_be_hidden()
    visitor.wait_for_function("() => __kefuEvents.at(-1).type === 'unread' && __kefuEvents.at(-1).n === 0")
    expect(visitor).to_have_title("Northwind Outfitters")

    # The function Kefu.on returned takes the listener off again.
    visitor.evaluate("__kefuOff.message()")
    composer.fill("Shall I reserve one?")
    composer.press("Enter")
    expect(panel.get_by_text("Shall I reserve one?", exact=True)).to_be_visible()
    assert [e["text"] for e in events(visitor, "message")] == ["Yes, three left"]


def test_a_returning_visitor_fetches_the_panel_only_when_a_reply_arrives(kefu, site, standby, contexts):
    name = f"Back {uuid.uuid4().hex[:6]}"
    agent, context = contexts().new_page(), contexts()
    sign_in(agent, kefu.url, kefu.password)
    first = context.new_page()
    first.goto(site.page("/", "Northwind Outfitters"))
    first.wait_for_function("() => window.Kefu && window.Kefu.version")
    first.evaluate("name => Kefu.identify({name})", name)
    first.evaluate("Kefu.open()")
    box = panel_of(first).get_by_role("textbox", name="Message")
    box.fill("Do you ship to Norway?")
    box.press("Enter")
    expect(panel_of(first).get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()
    row = agent.get_by_role("link", name=re.compile(re.escape(name)))
    expect(row).to_be_visible()
    row.click()
    first.close()

    # Another page of the site, later: the launcher alone, watching the conversation.
    fetched = []
    page = context.new_page()
    page.on("request", lambda request: fetched.append(request.url) if "/widget/panel" in request.url else None)
    page.goto(site.page("/", "Northwind Outfitters"))
    page.wait_for_function("() => window.Kefu && window.Kefu.version")
    page.evaluate(LISTEN)
    expect(page.locator("[data-kefu-widget] .kl-launcher")).to_be_visible()
    page.wait_for_timeout(1500)
    assert fetched == [], f"the panel was fetched before anything arrived: {fetched}"

    composer = agent.get_by_role("textbox", name="Message")
    composer.fill("Yes, in five days")
    composer.press("Enter")
    page.wait_for_function("() => __kefuEvents.some(e => e.type === 'unread' && e.n === 1)")
    assert any(url.endswith("/widget/panel.js") for url in fetched), fetched
    assert events(page, "message") == [{"type": "message", "text": "Yes, in five days", "senderType": "agent", "senderName": "Owner"}]
    expect(page.locator("[data-kefu-widget] .kl-badge")).to_have_text("1")


def test_kefu_identify_puts_the_name_email_attributes_and_verified_id_in_the_visitor_panel(kefu, owner, widget, site, standby, contexts):
    secret = owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"rotateIdentitySecret": True})["identitySecret"]
    user_id = f"user-{uuid.uuid4().hex[:8]}"
    digest = hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    name = f"Grace {uuid.uuid4().hex[:6]}"
    email = f"grace-{uuid.uuid4().hex[:6]}@example.com"
    agent, visitor = contexts().new_page(), contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)

    # An anonymous visitor writes first; the site identifies them afterwards (a sign-in mid-chat).
    visitor.goto(site.page("/", "Northwind Outfitters"))
    visitor.wait_for_function("() => window.Kefu && window.Kefu.version")
    visitor.evaluate("Kefu.open()")
    panel = panel_of(visitor)
    box = panel.get_by_role("textbox", name="Message")
    text = f"Order question {uuid.uuid4().hex[:6]}"
    box.fill(text)
    box.press("Enter")
    expect(panel.get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()
    visitor.evaluate("data => Kefu.identify(data)", {"userId": user_id, "hash": digest, "name": name, "email": email,
                                                     "attributes": {"plan": "Trailblazer"}})

    token = text.split()[-1]
    conversation = owner.wait_for("the visitor's conversation", lambda: owner.call("GET", f"/api/v1/conversations?q={token}&limit=5")["items"],
                                  lambda items: len(items) == 1)[0]
    visitor_id = conversation["visitorId"]
    owner.wait_for("the identified visitor", lambda: owner.call("GET", f"/api/v1/visitors/{visitor_id}"),
                   lambda v: v.get("name") == name and v.get("externalId") == user_id)

    # The row was drawn while the visitor was anonymous; the profile's `conversation` frame has
    # the workspace read them again, so it names them without being opened.
    row = agent.get_by_role("link", name=re.compile(re.escape(text)))
    expect(row).to_be_visible()
    expect(row).to_contain_text(name)
    row.click()
    expect(messages(agent)).to_contain_text(text)
    details = agent.get_by_role("complementary", name="Visitor details")
    expect(details.get_by_role("heading", name=name)).to_be_visible()
    expect(details).to_contain_text(email)
    expect(details).to_contain_text("Trailblazer")
    expect(details).to_contain_text(f"Verified as {user_id}")


def test_the_widget_adds_no_global_besides_kefu(kefu, site, standby, contexts):
    url = site.page("/", "Northwind Outfitters")
    # The same page without the widget's script tag.
    site.pages["/no-widget"] = re.sub(rb"<script src=[^>]*widget\.js[^>]*></script>", b"", site.pages["/"])
    assert b"widget.js" not in site.pages["/no-widget"]
    page = contexts().new_page()
    page.goto(site.origin + "/no-widget")
    plain = set(page.evaluate("Object.getOwnPropertyNames(window)"))

    page.goto(url)
    page.wait_for_function("() => window.Kefu && window.Kefu.version")
    # Everything loaded: the panel, its socket, a message sent and acknowledged.
    page.evaluate("Kefu.open()")
    panel = panel_of(page)
    box = panel.get_by_role("textbox", name="Message")
    box.fill("Just looking around")
    box.press("Enter")
    expect(panel.get_by_text(re.compile("· (Sent|Seen)$"))).to_be_visible()
    page.evaluate("Kefu.close()")
    expect(panel).to_be_hidden()
    added = set(page.evaluate("Object.getOwnPropertyNames(window)")) - plain
    assert added == {"Kefu"}, f"the widget added globals: {sorted(added)}"
    assert sorted(page.evaluate("Object.keys(Kefu)")) == ["close", "identify", "on", "open", "toggle", "version"]

"""The widget's settings as a visitor meets them: the offline form outside business hours or with
nobody of the widget's team online (the message it leaves waits in the workspace's queue), a
widget that hides itself while away, and the launcher's colour and side of the page."""
from __future__ import annotations

import datetime
import re
import uuid

import pytest
from playwright.sync_api import expect

from harness import messages, open_widget, set_presence, sign_in

VIEWPORT = (1280, 800)


def closed_all_day_today() -> dict:
    """Business hours (in UTC) on a weekday three days from today only: now is outside them."""
    today = datetime.datetime.now(datetime.timezone.utc).isoweekday()
    return {"timeZone": "UTC", "weekly": [{"day": (today + 2) % 7 + 1, "open": "09:00", "close": "17:00"}]}


def launcher(page):
    return page.get_by_role("button", name=re.compile("^Open chat"))


def rgb(color: str) -> str:
    n = int(color.lstrip("#"), 16)
    return f"rgb({n >> 16}, {(n >> 8) & 255}, {n & 255})"


@pytest.mark.parametrize("why", ["outside business hours", "no agent of the team online"])
def test_away_the_visitor_leaves_a_message_in_the_offline_form_and_it_waits_in_the_queue(kefu, owner, widget, site, standby, contexts, why):
    team = None
    agent = contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    try:
        if why == "outside business hours":
            owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"businessHours": closed_all_day_today(), "offlineBehavior": "leave_message"})
            # Away too, so the message waits in the queue rather than being assigned at once.
            set_presence(agent, "Away")
        else:
            # Within hours, the owner online, but the widget's team has nobody in it.
            team = owner.call("POST", "/api/v1/teams", {"name": f"Night shift {uuid.uuid4().hex[:4]}", "memberIds": []})
            owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"teamId": team["id"], "offlineBehavior": "leave_message"})
        config = owner.call("GET", f"/api/v1/widget/config?key={kefu.widget_key}")
        assert (config["online"], config["agentsOnline"]) == ((False, True) if why == "outside business hours" else (True, False)), config
        agent.get_by_role("link", name=re.compile("^Unassigned")).click()

        name = f"Night owl {uuid.uuid4().hex[:6]}"
        email = f"owl-{uuid.uuid4().hex[:6]}@example.com"
        visitor = contexts().new_page()
        visitor.goto(site.page("/", "Northwind Outfitters"))
        panel = open_widget(visitor)
        form = panel.get_by_role("form", name="We're away right now")
        expect(form).to_be_visible()
        expect(panel.get_by_role("textbox", name="Message", exact=True)).to_have_count(0)
        form.get_by_label("Name").fill(name)
        form.get_by_label("Email").fill(email)
        form.get_by_label("Message").fill("Do you ship to Norway?")
        form.get_by_role("button", name="Send message").click()

        expect(panel.get_by_text("Do you ship to Norway?", exact=True)).to_be_visible()
        expect(panel.get_by_text(f"Thanks! We'll reply to {email} as soon as we're back.")).to_be_visible()
        expect(form).to_have_count(0)

        # The message waits in the workspace's queue, with the email the visitor left.
        row = agent.get_by_role("link", name=re.compile(re.escape(name)))
        expect(row).to_be_visible()
        expect(row).to_contain_text("Do you ship to Norway?")
        row.click()
        expect(messages(agent)).to_contain_text("Do you ship to Norway?")
        expect(agent.get_by_role("button", name="Accept")).to_be_visible()
        expect(agent.get_by_role("complementary", name="Visitor details")).to_contain_text(email)
    finally:
        owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"businessHours": None, "teamId": None, "offlineBehavior": "leave_message"})
        if team:
            owner.call("DELETE", f"/api/v1/teams/{team['id']}")
        if why == "outside business hours":
            set_presence(agent, "Online")


def test_a_widget_set_to_hide_shows_no_launcher_outside_business_hours(kefu, owner, widget, site, standby, contexts):
    page = contexts().new_page()
    url = site.page("/", "Northwind Outfitters")
    owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"businessHours": closed_all_day_today(), "offlineBehavior": "hide"})
    try:
        with page.expect_response(re.compile(r"/api/v1/widget/config")):
            page.goto(url)
        # The launcher has started (it sets its side) and its stylesheet has loaded.
        page.wait_for_function("""() => {
            const host = document.querySelector('[data-kefu-widget]');
            const link = host && host.shadowRoot.querySelector('link[rel=stylesheet]');
            return host && host.hasAttribute('data-position') && link && link.sheet;
        }""")
        page.wait_for_timeout(300)
        expect(launcher(page)).to_have_count(0)
        assert page.evaluate("document.querySelector('[data-kefu-widget]').hidden") is True
    finally:
        owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"businessHours": None, "offlineBehavior": "leave_message"})
    # Within hours again (no hours set), the same page shows it.
    page.reload()
    expect(launcher(page)).to_be_visible()


def shown_launcher(contexts, url):
    """A new page at `url` with its launcher shown and still: the page, the button, its box."""
    page = contexts(viewport=VIEWPORT).new_page()
    page.goto(url)
    button = launcher(page)
    expect(button).to_be_visible()
    settle_launcher(page)
    return page, button, button.bounding_box()


def test_the_launcher_takes_the_theme_colour_and_sits_left_when_set_and_right_by_default(kefu, owner, widget, site, standby, contexts):
    before = owner.call("GET", f"/api/v1/widgets/{widget['id']}")
    url = site.page("/", "Northwind Outfitters")
    width = VIEWPORT[0]
    owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"themeColor": "#0f766e", "position": "left"})
    try:
        page, button, box = shown_launcher(contexts, url)
        assert box and box["x"] < 40 and box["x"] + box["width"] < width / 2, f"the launcher is not on the left: {box}"
        expect(button).to_have_css("background-color", rgb("#0f766e"))
        panel = open_widget(page)
        box = panel.bounding_box()
        assert box and box["x"] < 40 and box["x"] + box["width"] < width / 2 + 100, f"the panel is not on the left: {box}"
        header = panel.locator(".kp-header").evaluate("el => getComputedStyle(el).backgroundImage")
        assert header.startswith("linear-gradient") and rgb("#0f766e") in header, f"the panel header is not in the theme colour: {header}"
    finally:
        owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"themeColor": before["themeColor"], "position": before["position"]})

    # As the demo widget comes: right, in its own colour.
    assert before["position"] == "right", before
    page, button, box = shown_launcher(contexts, url)
    assert box and box["x"] > width / 2 and width - (box["x"] + box["width"]) < 40, f"the launcher is not on the right: {box}"
    expect(button).to_have_css("background-color", rgb(before["themeColor"]))


def settle_launcher(page) -> None:
    """Waits for the launcher's transitions (a hover effect) to end before measuring it."""
    page.mouse.move(VIEWPORT[0] / 2, VIEWPORT[1] / 2)
    page.evaluate("""() => Promise.all(document.querySelector('[data-kefu-widget]').shadowRoot.getAnimations()
        .map(a => a.finished.catch(() => null)))""")

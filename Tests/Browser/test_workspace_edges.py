"""The workspace at its edges: an agent whose role may only reply (their own lists, their visitors,
no Unassigned, With the bot or All), snoozing until a time the agent picks, and the chime for a new
conversation while the workspace is in a background tab."""
from __future__ import annotations

import datetime
import re
import uuid
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from harness import agent_opens, messages, sign_in, visitor_writes, visitor_writes_agent_opens
from test_sound import CHIME, TONES
from test_workspace_actions import BACKGROUND_TAB


def test_an_agent_who_may_only_reply_sees_their_own_lists_and_answers(kefu, owner, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    role = owner.call("POST", "/api/v1/roles", {"name": f"Reply only {tag}", "description": "", "permissions": ["conversations.reply"]})
    email, password = f"reply-{tag}@demo.kefu.local", f"reply-password-{tag}"
    owner.call("POST", "/api/v1/users", {"email": email, "displayName": f"Replier {tag}", "password": password, "roleId": role["id"],
                                         "maxConcurrentChats": 50})
    agent, visitor = contexts().new_page(), contexts().new_page()
    sign_in(agent, kefu.url, password, email=email)
    nav = agent.get_by_role("navigation", name="Workspace navigation")
    expect(nav.get_by_role("link", name=re.compile("^Mine"))).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("^Resolved"))).to_be_visible()
    for hidden in ("Unassigned", "With the bot", "All"):
        expect(nav.get_by_role("link", name=re.compile(f"^{hidden}"))).to_have_count(0)

    name = f"Own {tag}"
    panel = visitor_writes(visitor, site.page("/", "Northwind Outfitters"), name, "Is anyone there?", email=f"own-{tag}@example.com")
    agent_opens(agent, name, "Is anyone there?")
    details = agent.get_by_role("complementary", name="Visitor details")
    expect(details).to_contain_text(f"own-{tag}@example.com")
    expect(details.get_by_role("alert")).to_have_count(0)
    composer = agent.get_by_role("textbox", name="Message")
    composer.fill("Yes, how can I help?")
    composer.press("Enter")
    expect(panel).to_contain_text("Yes, how can I help?")
    # A reload lists it again from REST (the paged list, not only the socket's welcome).
    agent.reload()
    expect(agent.get_by_role("link", name=re.compile(re.escape(name)))).to_be_visible()


def test_snooze_until_a_time_the_agent_picks(kefu, owner, site, standby, contexts):
    name = f"Later {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Please get back to me in a few days")
    conversation_id = agent.evaluate("location.hash").rsplit("/", 1)[-1]
    agent.get_by_role("button", name="More actions").click()
    agent.get_by_role("menuitem", name="Snooze…").click()
    dialog = agent.get_by_role("dialog", name="Snooze until…")
    # The page runs in London time (the test context's zone): the picked time is London's.
    chosen = (datetime.datetime.now(ZoneInfo("Europe/London")) + datetime.timedelta(days=3)).replace(hour=14, minute=30, second=0, microsecond=0)
    dialog.get_by_label("Pick a date and time").fill(chosen.strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_role("button", name="Snooze", exact=True).click()
    expect(dialog).to_have_count(0)
    expect(messages(agent)).to_contain_text(re.compile("Owner snoozed this until"))
    stored = owner.wait_for("the snoozed conversation", lambda: owner.call("GET", f"/api/v1/conversations/{conversation_id}"),
                            lambda c: c["status"] == "snoozed")
    until = datetime.datetime.fromisoformat(stored["snoozedUntil"].replace("Z", "+00:00"))
    assert until == chosen.astimezone(datetime.timezone.utc), f"snoozed until {until}, picked {chosen}"


def test_a_new_conversation_chimes_in_a_background_workspace(kefu, site, standby, contexts):
    agent_context = contexts()
    agent_context.add_init_script(TONES)
    agent_context.add_init_script(BACKGROUND_TAB)
    agent, visitor = agent_context.new_page(), contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    agent.evaluate("__tab.set(true)")
    visitor_writes(visitor, site.page("/", "Northwind Outfitters"), f"Newcomer {uuid.uuid4().hex[:6]}", "A brand new question")
    agent.wait_for_function("() => __tones.length >= 2")
    assert agent.evaluate("__tones")[:2] == CHIME

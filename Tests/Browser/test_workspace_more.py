"""The workspace's conversation actions beyond accept and resolve: transfer to another agent, move
to a team's queue, assign from the queue; mark pending and open again; reopen a resolved
conversation; private notes (styled apart, never sent to the visitor); and presence switched to
Offline (offered nothing) with the capacity figure."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import messages, open_widget, set_presence, sign_in, visitor_writes, visitor_writes_agent_opens


def rows(agent):
    return agent.get_by_role("region", name="Conversation list").get_by_role("link")


def new_agent(owner, name: str, capacity: int = 5) -> str:
    roles = {r["name"]: r["id"] for r in owner.call("GET", "/api/v1/roles")["items"]}
    return owner.call("POST", "/api/v1/users", {"email": f"{uuid.uuid4().hex[:8]}@demo.kefu.local", "displayName": name,
                                                "password": "agent-password-" + uuid.uuid4().hex[:8], "roleId": roles["Agent"],
                                                "maxConcurrentChats": capacity})["id"]


def assign_dialog(agent):
    agent.get_by_role("button", name="More actions").click()
    agent.get_by_role("menuitem", name="Assign or transfer…").click()
    dialog = agent.get_by_role("dialog", name="Assign conversation")
    expect(dialog).to_be_visible()
    return dialog


def test_transfer_to_an_agent_move_to_a_team_queue_and_assign_from_it_show_on_both_sides(kefu, owner, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    han, wu = f"Han {tag}", f"Wu {tag}"
    han_id = new_agent(owner, han)
    new_agent(owner, wu)
    team = owner.call("POST", "/api/v1/teams", {"name": f"Returns {tag}", "memberIds": []})
    name = f"Moved {tag}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "Who handles returns?")
    conversation_id = agent.evaluate("location.hash").rsplit("/", 1)[-1]
    row = rows(agent).filter(has_text=name)

    # Transfer: Owner's conversation goes to Han; it leaves Mine, and the visitor is told.
    dialog = assign_dialog(agent)
    expect(dialog.get_by_role("button", name="Assign to me")).to_have_attribute("aria-current", "true")
    dialog.get_by_role("searchbox", name="Search agents and teams").fill(tag)
    expect(dialog.get_by_role("button", name="Assign to me")).to_have_count(0)
    dialog.get_by_role("button", name=f"Assign to {han}").click()
    expect(dialog).to_have_count(0)
    expect(messages(agent)).to_contain_text(f"Owner transferred this to {han}")
    expect(panel.get_by_text(f"Your conversation was passed to {han}")).to_be_visible()
    expect(row).to_have_count(0)
    assert owner.call("GET", f"/api/v1/conversations/{conversation_id}")["assigneeId"].lower() == han_id.lower()

    # To a team's queue: unassigned, waiting (nobody in the team to take it), Accept offered.
    dialog = assign_dialog(agent)
    dialog.get_by_role("button", name=f"Move to the Returns {tag} queue").click()
    expect(messages(agent)).to_contain_text(f"Owner moved this to the Returns {tag} queue")
    expect(agent.get_by_role("button", name="Accept")).to_be_visible()
    expect(panel.get_by_text("Your conversation was passed to another team")).to_be_visible()
    stored = owner.call("GET", f"/api/v1/conversations/{conversation_id}")
    assert stored["status"] == "queued" and stored.get("assigneeId") is None and stored["teamId"].lower() == team["id"].lower(), stored

    # Assign from the queue to Wu: the pane and the widget's header name Wu.
    dialog = assign_dialog(agent)
    dialog.get_by_role("button", name=f"Assign to {wu}").click()
    expect(messages(agent)).to_contain_text(f"Owner assigned this to {wu}")
    expect(panel.get_by_text(f"{wu} joined the conversation")).to_be_visible()
    expect(panel.locator(".kp-header")).to_contain_text(wu)
    details = agent.get_by_role("complementary", name="Visitor details")
    expect(details).to_contain_text(wu)


def test_a_private_note_is_styled_apart_and_never_reaches_the_visitor(kefu, site, standby, contexts):
    name = f"Noted {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    panel = visitor_writes_agent_opens(agent, visitor, kefu, site, name, "My parcel is late")

    composer = agent.get_by_role("textbox", name="Message")
    agent.get_by_role("radio", name="Private note").check()
    expect(composer).to_have_attribute("placeholder", "Write a note only your team sees")
    expect(agent.get_by_role("button", name="Add note")).to_be_visible()
    composer.fill("VIP customer: refund without asking")
    composer.press("Enter")
    note = messages(agent).locator("li[data-seq]").filter(has_text="VIP customer: refund without asking")
    expect(note).to_have_count(1)
    expect(note).to_have_class(re.compile(r"\bmsg-note\b"))
    expect(note).to_contain_text("Private note")

    # Back to a reply: it reaches the visitor; the note, sent before it, never does.
    agent.get_by_role("radio", name="Reply").check()
    expect(agent.get_by_role("button", name="Send")).to_be_visible()
    composer.fill("Sorry about that, refunding now")
    composer.press("Enter")
    reply = messages(agent).locator("li[data-seq]").filter(has_text="Sorry about that, refunding now")
    expect(reply).to_have_count(1)
    expect(reply).not_to_have_class(re.compile(r"\bmsg-note\b"))
    background = "el => getComputedStyle(el.querySelector('.msg-bubble')).backgroundColor"
    assert note.evaluate(background) != reply.evaluate(background), "the note looks like a reply"
    expect(panel.get_by_text("Sorry about that, refunding now", exact=True)).to_be_visible()
    expect(panel.get_by_text("VIP customer")).to_have_count(0)
    # Nor after a reload, from the stored history.
    visitor.reload()
    panel = open_widget(visitor)
    expect(panel.get_by_text("Sorry about that, refunding now", exact=True)).to_be_visible()
    expect(panel.get_by_text("VIP customer")).to_have_count(0)


def test_mark_pending_then_open_and_reopen_a_resolved_conversation_from_the_resolved_list(kefu, owner, site, standby, contexts):
    name = f"Status {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    visitor_writes_agent_opens(agent, visitor, kefu, site, name, "I'll send the photos tomorrow")
    conversation_id = agent.evaluate("location.hash").rsplit("/", 1)[-1]
    row = rows(agent).filter(has_text=name)

    agent.get_by_role("button", name="More actions").click()
    agent.get_by_role("menuitem", name="Mark as pending").click()
    expect(messages(agent)).to_contain_text("Owner marked this pending")
    expect(row).to_have_count(0)
    assert owner.call("GET", f"/api/v1/conversations/{conversation_id}")["status"] == "pending"
    agent.get_by_role("link", name=re.compile("^Pending & snoozed")).click()
    expect(row).to_be_visible()
    expect(row).to_contain_text("Pending")
    row.click()
    expect(messages(agent)).to_contain_text("Owner marked this pending")

    agent.get_by_role("button", name="More actions").click()
    agent.get_by_role("menuitem", name="Mark as open").click()
    expect(messages(agent)).to_contain_text("Owner marked this open")
    expect(row).to_have_count(0)
    assert owner.call("GET", f"/api/v1/conversations/{conversation_id}")["status"] == "open"

    agent.get_by_role("button", name="Resolve").click()
    expect(messages(agent)).to_contain_text("Resolved by Owner")
    agent.get_by_role("link", name=re.compile("^Mine")).click()
    expect(row).to_have_count(0)
    agent.get_by_role("link", name=re.compile("^Resolved")).click()
    expect(row).to_be_visible()
    row.click()
    # The reopen's answer ("queued") is held until the socket has said the conversation was
    # assigned again: an answer older than a live frame must not undo it.
    held = []
    agent.route(f"**/api/v1/conversations/{conversation_id}/reopen", lambda route: held.append(route))
    assignments = messages(agent).get_by_text("Assigned to Owner")
    assigned_before = assignments.count()
    agent.get_by_role("button", name="Reopen").click()
    for _ in range(200):
        if held:
            break
        agent.wait_for_timeout(50)
    answer = held[0].fetch()
    assert answer.json()["status"] == "queued"
    expect(assignments).to_have_count(assigned_before + 1)
    held[0].fulfill(response=answer)
    expect(messages(agent)).to_contain_text("Reopened by Owner")
    expect(agent.get_by_role("button", name="Reopen")).to_have_count(0)
    # Requeued, and offered to the online owner again.
    stored = owner.wait_for("the reopened conversation", lambda: owner.call("GET", f"/api/v1/conversations/{conversation_id}"),
                            lambda c: c["status"] == "open")
    assert stored.get("assigneeId")
    expect(agent.get_by_role("button", name="Resolve")).to_be_visible()
    expect(row).to_have_count(0)
    agent.get_by_role("link", name=re.compile("^Mine")).click()
    expect(row).to_be_visible()


def test_presence_offline_is_shown_offers_nothing_and_the_capacity_figure_counts_open_chats(kefu, owner, owner_id, site, standby, contexts):
    name = f"Capacity {uuid.uuid4().hex[:6]}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    visitor_writes_agent_opens(agent, visitor, kefu, site, name, "First one")
    capacity = owner.call("GET", f"/api/v1/users/{owner_id}")["maxConcurrentChats"]
    figure = agent.get_by_role("note").filter(has_text=re.compile(r"^\d+/\d+$"))
    expect(figure).to_have_text(f"1/{capacity}")
    expect(figure).to_have_attribute("aria-label", f"Capacity: 1 of {capacity} conversations")

    set_presence(agent, "Offline")
    owner.wait_for("the owner shown offline", lambda: owner.call("GET", "/api/v1/agents")["items"],
                   lambda items: any(a["id"].lower() == owner_id.lower() and a["presence"] == "offline" for a in items))
    agent.get_by_role("button", name=re.compile("^Account:")).click()
    menu = agent.get_by_role("region", name=re.compile("^Account:"))
    expect(menu).to_contain_text(f"1 of {capacity} chats")
    expect(menu.get_by_role("meter", name=f"Capacity: 1 of {capacity} conversations")).to_have_attribute("aria-valuenow", "1")
    expect(menu.get_by_role("menuitemradio", name=re.compile("^Offline"))).to_have_attribute("aria-checked", "true")
    agent.keyboard.press("Escape")

    # Offline: a new visitor is not given to this agent, though still connected.
    other = f"Waiting {uuid.uuid4().hex[:6]}"
    visitor_writes(contexts().new_page(), site.page("/", "Northwind Outfitters"), other, "Anyone there?", sent=True)
    agent.get_by_role("link", name=re.compile("^Unassigned")).click()
    waiting = rows(agent).filter(has_text=other)
    expect(waiting).to_be_visible()
    expect(figure).to_have_text(f"1/{capacity}")

    # Online again: the queue is offered to this agent at once.
    set_presence(agent, "Online")
    expect(waiting).to_have_count(0)
    expect(figure).to_have_text(f"2/{capacity}")

"""The workspace's conversation list narrowed by its filters (team, widget, status) and by the text
search box."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import sign_in, visitor_writes


def rows(agent):
    return agent.get_by_role("region", name="Conversation list").get_by_role("link")


def widget_page(site, path: str, key: str) -> str:
    """A page of the visitor site that embeds the widget with `key`."""
    url = site.page(path, "Northwind Outlet")
    site.pages[path] = site.pages[path].replace(site.key.encode(), key.encode())
    return url


def test_the_list_narrows_by_team_widget_status_and_search_text(kefu, owner, owner_id, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    team = owner.call("POST", "/api/v1/teams", {"name": f"Outlet team {tag}", "memberIds": [owner_id]})
    outlet = owner.call("POST", "/api/v1/widgets", {"name": f"Outlet {tag}", "allowedOrigins": [site.origin], "teamId": team["id"]})
    agent = contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)

    visitor_writes(contexts().new_page(), site.page("/", "Northwind Outfitters"), f"Alpha {tag}", f"alpha question {tag}", sent=True)
    visitor_writes(contexts().new_page(), widget_page(site, f"/outlet-{tag}", outlet["publicKey"]), f"Bravo {tag}", f"bravo question {tag}", sent=True)
    alpha, bravo = rows(agent).filter(has_text=f"Alpha {tag}"), rows(agent).filter(has_text=f"Bravo {tag}")
    expect(alpha).to_be_visible()
    expect(bravo).to_be_visible()
    found = owner.call("GET", f"/api/v1/conversations?q={tag}&limit=10")["items"]
    alpha_id = next(c["id"] for c in found if c["widgetId"].lower() != outlet["id"].lower())
    owner.call("POST", f"/api/v1/conversations/{alpha_id}/status", {"status": "pending"})

    agent.get_by_role("link", name=re.compile("^All")).click()
    expect(alpha).to_be_visible()
    expect(bravo).to_be_visible()

    # Text search: both carry the tag; only one says "bravo"; nothing says the nonsense.
    search = agent.get_by_role("searchbox", name="Search conversations")
    search.fill(tag)
    expect(rows(agent)).to_have_count(2)
    search.fill(f"bravo question {tag}")
    expect(alpha).to_have_count(0)
    expect(rows(agent)).to_have_count(1)
    expect(bravo).to_be_visible()
    search.fill(f"zebra {tag}")
    expect(rows(agent)).to_have_count(0)
    expect(agent.get_by_text(f"No conversations match “zebra {tag}”.")).to_be_visible()
    search.fill(tag)
    expect(rows(agent)).to_have_count(2)

    # Filters, within the search.
    agent.get_by_role("button", name="Filters").click()
    widget_filter = agent.get_by_label("Widget", exact=True)
    widget_filter.select_option(label=f"Outlet {tag}")
    expect(alpha).to_have_count(0)
    expect(rows(agent)).to_have_count(1)
    expect(bravo).to_be_visible()
    widget_filter.select_option(label="All widgets")
    expect(rows(agent)).to_have_count(2)

    team_filter = agent.get_by_label("Team", exact=True)
    team_filter.select_option(label=f"Outlet team {tag}")
    expect(alpha).to_have_count(0)
    expect(rows(agent)).to_have_count(1)
    expect(bravo).to_be_visible()
    team_filter.select_option(label="All teams")
    expect(rows(agent)).to_have_count(2)

    status_filter = agent.get_by_label("Status", exact=True)
    status_filter.select_option(label="Pending")
    expect(bravo).to_have_count(0)
    expect(rows(agent)).to_have_count(1)
    expect(alpha).to_be_visible()
    status_filter.select_option(label="Open")
    expect(alpha).to_have_count(0)
    expect(bravo).to_be_visible()

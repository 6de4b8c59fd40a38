"""Scroll-back: a conversation longer than the first page (50 messages) shows its latest page, and
scrolling up brings the earlier ones, each once and in order, in the workspace's pane and in the
widget after a reload."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from harness import messages, open_widget, sign_in, visitor_writes

REPLIES = 70


def scroll_up_until(page, scroller, target, tries: int = 8) -> None:
    """Scrolls `scroller` to its top until `target` is in the DOM (each older page loads on the way)."""
    for _ in range(tries):
        if target.count():
            return
        scroller.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        page.wait_for_timeout(400)
    expect(target).to_have_count(1)


def test_scrolling_up_loads_earlier_messages_in_the_pane_and_in_the_widget_after_a_reload(kefu, owner, site, standby, contexts):
    tag = uuid.uuid4().hex[:6]
    name = f"Long {tag}"
    agent, visitor = contexts().new_page(), contexts().new_page()
    sign_in(agent, kefu.url, kefu.password)
    panel = visitor_writes(visitor, site.page("/", "Northwind Outfitters"), name, f"The very first message {tag}")
    conversation = owner.wait_for("the conversation", lambda: owner.call("GET", f"/api/v1/conversations?q={tag}&limit=5")["items"],
                                  lambda items: len(items) == 1 and items[0].get("assigneeId"))[0]
    for n in range(1, REPLIES + 1):
        owner.call("POST", f"/api/v1/conversations/{conversation['id']}/messages", {"clientId": f"{tag}-{n}", "text": f"Reply {n:02d} {tag}"})
    last = f"Reply {REPLIES:02d} {tag}"
    expect(panel.get_by_text(last, exact=True)).to_be_visible()

    # The workspace opens it at the latest page; the first message is not loaded yet.
    row = agent.get_by_role("link", name=re.compile(re.escape(name)))
    row.click()
    pane = messages(agent)
    expect(pane.get_by_text(last, exact=True)).to_be_visible()
    first = pane.get_by_text(f"The very first message {tag}", exact=True)
    assert first.count() == 0, "the whole conversation loaded at once: nothing to scroll back to"
    scroll_up_until(agent, pane, first)
    expect(first).to_be_visible()
    texts = [t for t in pane.locator("li[data-seq]").all_inner_texts() if tag in t]
    replies = [re.search(r"Reply (\d+) " + tag, t) for t in texts]
    numbers = [int(m.group(1)) for m in replies if m]
    assert numbers == list(range(1, REPLIES + 1)), f"the pane's replies: {numbers}"
    seqs = [int(s) for s in pane.locator("li[data-seq]").evaluate_all("els => els.map(e => e.dataset.seq)")]
    assert seqs == sorted(set(seqs)), f"seqs out of order or doubled: {seqs}"

    # The visitor reloads: the widget shows the latest page, and scrolling up the rest.
    visitor.reload()
    panel = open_widget(visitor)
    expect(panel.get_by_text(last, exact=True)).to_be_visible()
    oldest = panel.get_by_text(f"The very first message {tag}", exact=True)
    assert oldest.count() == 0, "the widget loaded the whole conversation at once"
    expect(panel.get_by_role("button", name="Load earlier messages")).to_be_attached()
    scroll_up_until(visitor, panel.locator(".kp-body"), oldest)
    expect(oldest).to_be_visible()
    for n in range(1, REPLIES + 1):
        expect(panel.get_by_text(f"Reply {n:02d} {tag}", exact=True)).to_have_count(1)
    expect(panel.get_by_role("button", name="Load earlier messages")).to_be_hidden()

"""How the widget reconnects while the server cannot be reached: backoff that doubles (with full
jitter: the wait is drawn at random up to the doubled bound), a visible "reconnecting" state, and
an immediate try when the browser says it is back online or the tab comes back to the front."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from harness import open_widget

# Math.random pinned at one half, so the jittered waits are exact: 250 ms + 0.5 × (500 ms × 2^n).
HALF = "Math.random = () => 0.5;"


def test_the_widget_backs_off_doubling_and_tries_at_once_when_back_online(kefu, site, standby, contexts):
    context = contexts()
    context.add_init_script(HALF)
    attempts: list[float] = []

    def refuse(ws):
        attempts.append(time.monotonic())
        ws.close(code=1006, reason="offline")

    context.route_web_socket(re.compile(r"/ws/visitor"), refuse)
    page = context.new_page()
    page.goto(site.page("/", "Northwind Outfitters"))
    panel = open_widget(page)
    expect(panel.get_by_text(re.compile("Reconnecting|Connecting"))).to_be_visible()

    deadline = time.monotonic() + 8
    while len(attempts) < 5 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:])]
    expected = [0.5, 0.75, 1.25, 2.25]
    assert len(gaps) >= 4, f"attempts at {attempts}"
    for gap, want in zip(gaps, expected):
        assert want - 0.15 <= gap <= want + 0.4, f"gaps {gaps}, expected about {expected}"

    # The next wait is 4.25 s; the browser says it is online again: tried at once.
    page.wait_for_timeout(300)
    count = len(attempts)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(400)
    assert len(attempts) == count + 1, "an 'online' event tries again at once"

    # So does the tab coming back to the front (a laptop waking up).
    count = len(attempts)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(400)
    assert len(attempts) == count + 1, "a tab back in front tries again at once"

"""The widget's weight: what a site loads at page load (the launcher) ≤ 15 KB gzipped, and what
the first open adds (the panel) ≤ 40 KB gzipped more. Each file's body is gzipped at level 9."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from harness import gzipped_size, open_widget

LAUNCHER_LIMIT = 15 * 1024
PANEL_LIMIT = 40 * 1024


def test_widget_launcher_and_panel_stay_within_their_gzipped_budgets(kefu, site, standby, contexts, capsys):
    page = contexts().new_page()
    loaded: list[tuple[str, int]] = []

    def record(response):
        url = response.url
        if url.startswith(kefu.url) and "/api/" not in url and response.status == 200:
            loaded.append((url[len(kefu.url):], gzipped_size(response.body())))

    page.on("response", record)
    page.goto(site.page("/", "Northwind Outfitters"))
    expect(page.get_by_role("button", name=re.compile("^Open chat"))).to_be_visible()
    page.wait_for_load_state("networkidle")
    launcher = list(loaded)
    open_widget(page)
    page.wait_for_load_state("networkidle")
    panel = loaded[len(launcher):]

    launcher_total, panel_total = sum(n for _, n in launcher), sum(n for _, n in panel)
    with capsys.disabled():
        print(f"\nwidget launcher: {launcher_total} B gzipped ({launcher_total / 1024:.1f} KB) in {len(launcher)} files: "
              + ", ".join(f"{path} {n}" for path, n in launcher))
        print(f"widget panel: {panel_total} B gzipped ({panel_total / 1024:.1f} KB) more in {len(panel)} files: "
              + ", ".join(f"{path} {n}" for path, n in panel))
    assert any(path == "/widget.js" for path, _ in launcher), launcher
    assert any(path == "/widget/panel.js" for path, _ in panel), panel
    assert launcher_total <= LAUNCHER_LIMIT, f"launcher {launcher_total} B > {LAUNCHER_LIMIT} B"
    assert panel_total <= PANEL_LIMIT, f"panel {panel_total} B > {PANEL_LIMIT} B"

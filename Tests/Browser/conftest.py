"""Fixtures for the browser journeys: one live `kefu serve` for the session (the debug binary, a
fresh data directory, its own PostgreSQL), the demo owner's REST client, a standby agent that
keeps the widget online, a visitor site on another origin, and Chromium from Debian."""
from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from harness import CHROMIUM, ROOT, TIMEOUT, Api, Kefu, Site, StandbyAgent

expect.set_options(timeout=TIMEOUT * 1000)


@pytest.fixture(scope="session")
def kefu():
    binary = Path(os.environ.get("KEFU_BINARY", ROOT / ".build" / "debug" / "kefu"))
    if not binary.exists():
        pytest.exit(f"{binary} is missing: run `swift build --product kefu` (scripts/test-browser does)", returncode=2)
    server = Kefu(binary).start()

    def stop_and_exit(signum, frame):
        server.stop()
        raise SystemExit(128 + signum)

    # A run stopped from outside (the script's overall timeout) still stops the server.
    previous = signal.signal(signal.SIGTERM, stop_and_exit)
    yield server
    server.stop()
    signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def owner(kefu) -> Api:
    return Api.login(kefu.url, "owner@demo.kefu.local", kefu.password)


@pytest.fixture(scope="session")
def owner_id(owner) -> str:
    return owner.call("GET", "/api/v1/me")["user"]["id"]


@pytest.fixture(scope="session")
def widget(owner) -> dict:
    return owner.call("GET", "/api/v1/widgets")["items"][0]


@pytest.fixture(scope="session")
def site(kefu, owner, widget):
    """The visitor's site, on an origin of its own, allowed by the demo widget."""
    page_site = Site(kefu.url, kefu.widget_key)
    origins = sorted(set(widget["allowedOrigins"]) | {page_site.origin})
    owner.call("PATCH", f"/api/v1/widgets/{widget['id']}", {"allowedOrigins": origins})
    yield page_site
    page_site.close()


@pytest.fixture(scope="session")
def standby(kefu, owner, owner_id):
    """Li Lei: online on the agent socket with capacity 0 (see StandbyAgent). The owner gets room
    for the whole suite's conversations."""
    roles = {r["name"]: r["id"] for r in owner.call("GET", "/api/v1/roles")["items"]}
    password = "standby-password-" + uuid.uuid4().hex[:8]
    owner.call("POST", "/api/v1/users", {"email": "lilei@demo.kefu.local", "displayName": "Li Lei", "password": password,
                                         "roleId": roles["Agent"], "maxConcurrentChats": 0})
    owner.call("PATCH", f"/api/v1/users/{owner_id}", {"maxConcurrentChats": 50})
    agent = StandbyAgent(kefu.url, Api.login(kefu.url, "lilei@demo.kefu.local", password).token)
    owner.wait_for("the standby agent online", lambda: owner.call("GET", "/api/v1/agents")["items"],
                   lambda items: any(a["displayName"] == "Li Lei" and a["presence"] == "online" for a in items))
    yield agent
    agent.close()


@pytest.fixture(scope="session")
def browser() -> Browser:
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=args + ["--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def contexts(browser: Browser):
    """new_context(**options) for this test; every context gets the __pwned probe and is closed
    at the end. Pages report uncaught errors into `errors`."""
    made: list[BrowserContext] = []

    class Factory:
        errors: list[str] = []

        def __call__(self, lang: str = "en", viewport=(1280, 800), **options) -> BrowserContext:
            options.setdefault("timezone_id", "Asia/Shanghai" if lang.startswith("zh") else "Europe/London")
            context = browser.new_context(locale=lang, viewport={"width": viewport[0], "height": viewport[1]}, **options)
            context.set_default_timeout(TIMEOUT * 1000)
            context.set_default_navigation_timeout(TIMEOUT * 1000)
            context.on("page", lambda page: page.on("pageerror", lambda error: Factory.errors.append(f"{page.url}: {error}")))
            made.append(context)
            return context

    factory = Factory()
    yield factory
    for context in made:
        try:
            context.close()
        except Exception:
            pass


TEST_LIMIT = 180  # seconds for one test, all its waits together


@pytest.fixture(autouse=True)
def time_limit():
    """Fails a test that runs past TEST_LIMIT instead of letting the run hang."""
    def expire(signum, frame):
        raise TimeoutError(f"the test ran longer than {TEST_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TEST_LIMIT)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def clean_slate(request, owner, owner_id):
    """Each journey starts with no conversation left open by an earlier one."""
    if "kefu" not in request.fixturenames:
        yield
        return
    for conversation in owner.call("GET", "/api/v1/conversations?status=queued,bot,open,pending,snoozed&limit=200")["items"]:
        owner.call("POST", f"/api/v1/conversations/{conversation['id']}/resolve", {})
    yield

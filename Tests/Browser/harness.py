"""What the browser journeys stand on: a live `kefu serve`, REST as the demo owner, an agent that
keeps the widget "online", a visitor site on another origin, a TCP proxy the test can cut, the
sign-in and widget steps, and screenshots.

Everything here talks only to 127.0.0.1. Every wait is bounded (see TIMEOUT).
"""
from __future__ import annotations

import gzip
import http.server
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMEOUT = 20.0  # seconds, for any single wait on the server or a page
CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
OWNER_EMAIL = "owner@demo.kefu.local"


# ---- the server -----------------------------------------------------------------------------

@dataclass
class Kefu:
    """A `kefu serve` on a free port with its own data directory (and its own PostgreSQL)."""

    binary: Path
    process: subprocess.Popen | None = None
    directory: Path | None = None
    port: int = 0
    password: str = ""
    widget_key: str = ""
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> "Kefu":
        self.directory = Path(tempfile.mkdtemp(prefix="kefu-browser-"))
        # The built-in PostgreSQL runs as its own user when we are root: it must reach the folder.
        self.directory.chmod(0o755)
        env = dict(os.environ, KEFU_PORT="0", KEFU_DATA_DIR=str(self.directory / "data"))
        env.pop("KEFU_DATABASE_URL", None)
        self.process = subprocess.Popen([str(self.binary), "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
        ready = threading.Event()

        def read() -> None:
            assert self.process and self.process.stdout
            for line in self.process.stdout:
                self.output.append(line)
                if m := re.search(r"password:\s+(\S+)", line):
                    self.password = m.group(1)
                if m := re.search(r"Demo widget key: (kfw_\S+)", line):
                    self.widget_key = m.group(1)
                if m := re.search(r"listening on http://127\.0\.0\.1:(\d+)", line):
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True, name="kefu-output").start()
        if not ready.wait(timeout) or not self.port:
            self.stop()
            raise RuntimeError("kefu serve did not start:\n" + "".join(self.output[-40:]))
        if not self.password or not self.widget_key:
            self.stop()
            raise RuntimeError("kefu serve printed no demo password or widget key:\n" + "".join(self.output[-40:]))
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.directory and os.environ.get("KEFU_KEEP_DATA") != "1":
            shutil.rmtree(self.directory, ignore_errors=True)


class Api:
    """REST with a bearer token."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.token = token

    @classmethod
    def login(cls, base: str, email: str, password: str, tenant: str = "demo") -> "Api":
        api = cls(base)
        api.token = api.call("POST", "/api/v1/auth/login", {"tenant": tenant, "email": email, "password": password})["token"]
        return api

    def call(self, method: str, path: str, body=None, expect_status: int | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, method=method, data=data)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                text = response.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise AssertionError(f"{method} {path} → {error.code}: {detail[:400]}") from None

    def wait_for(self, what: str, fetch, predicate, timeout: float = TIMEOUT):
        """Polls a REST read until predicate holds (for state only REST shows, e.g. a rating)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = fetch()
            if predicate(last):
                return last
            time.sleep(0.2)
        raise AssertionError(f"{what}: not seen within {timeout}s; last {str(last)[:400]}")


# ---- an agent that keeps the widget online ---------------------------------------------------

class StandbyAgent:
    """An agent on the agent socket with presence online and capacity 0: the widget says agents are
    online (so it shows the pre-chat form, not the offline form), yet routing never gives this
    agent a conversation, so a conversation waits in the queue while the workspace agent is away."""

    def __init__(self, base: str, token: str):
        from websockets.sync.client import connect

        self.ws = connect(base.replace("http", "ws", 1) + "/ws/agent", additional_headers={"Authorization": f"Bearer {token}"},
                          open_timeout=TIMEOUT, max_size=None, legacy=True)
        self.closed = threading.Event()
        threading.Thread(target=self._drain, daemon=True, name="standby-agent").start()

    def _drain(self) -> None:
        try:
            for _ in self.ws:
                pass
        except Exception:
            pass
        self.closed.set()

    def close(self) -> None:
        self.ws.close()


# ---- a visitor site on another origin ---------------------------------------------------------

class Site:
    """A tiny static site on its own port: its pages embed the widget with one script tag."""

    def __init__(self, kefu_url: str, key: str):
        self.kefu_url = kefu_url
        self.key = key
        self.pages: dict[str, bytes] = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = site.pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True, name="site").start()
        self.page("/", "Northwind Outfitters")

    def page(self, path: str, title: str, lang: str | None = None) -> str:
        """Adds a page (title is escaped here, as a real site would) and returns its URL."""
        import html

        lang_attr = f' data-lang="{html.escape(lang)}"' if lang else ""
        self.pages[path.split("?")[0]] = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font:16px system-ui,sans-serif;margin:0;padding:40px;background:#f6f4ef;color:#222}}
 button{{all:unset}} div{{box-sizing:content-box}} *{{font-size:20px!important}}</style>
</head><body><main><h1>Northwind Outfitters</h1><p>Trail gear for every season.</p></main>
<script src="{self.kefu_url}/widget.js" data-key="{self.key}"{lang_attr} async></script>
</body></html>""".encode()
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- a TCP proxy the test can cut ------------------------------------------------------------

class Proxy:
    """Forwards 127.0.0.1:port to the server. cut() drops every open connection and refuses new
    ones (accepts and closes at once) until restore()."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.allowed = threading.Event()
        self.allowed.set()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.running = True
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.allowed.is_set():
                self._abort(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                self._abort(client)
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True, name="proxy-pump").start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                self._close(s)

    @staticmethod
    def _abort(s: socket.socket) -> None:
        try:
            # RST, not FIN: the browser sees the connection reset, as when a network drops.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass

    def _close(self, s: socket.socket) -> None:
        with self.lock:
            self.sockets.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass

    def cut(self) -> None:
        self.allowed.clear()
        with self.lock:
            victims = list(self.sockets)
            self.sockets.clear()
        for s in victims:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._abort(s)

    def restore(self) -> None:
        self.allowed.set()

    def close(self) -> None:
        self.running = False
        self.cut()
        self.listener.close()


# ---- page steps ------------------------------------------------------------------------------

APP_PATH = "/app/"


def chat_page(context, kefu: "Kefu", lang: str | None = None) -> str:
    """The URL of /chat/{key}, the chat as a full page."""
    return f"{kefu.url}/chat/{kefu.widget_key}" + (f"?lang={lang}" if lang else "")


WORKSPACE_NAV = {"en": "Workspace navigation", "zh-CN": "工作台导航"}


def sign_in(page: Page, base: str, password: str, email: str = OWNER_EMAIL, lang: str = "en") -> None:
    """Signs in to /app through its form and waits for the workspace."""
    page.goto(base + APP_PATH)
    page.evaluate("localStorage.setItem('kefu:app:notify-dismissed', '1')")
    form = page.locator("kefu-sign-in form")
    expect(form).to_be_visible()
    form.locator("input[name=tenant]").fill("demo")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page.get_by_role("navigation", name=WORKSPACE_NAV[lang])).to_be_visible()


def set_presence(page: Page, presence: str) -> None:
    """Picks Online / Away / Offline in the account menu (English UI)."""
    page.get_by_role("button", name=re.compile("^Account:")).click()
    page.get_by_role("menuitemradio", name=re.compile(f"^{presence}")).click()
    expect(page.get_by_role("button", name=re.compile(f"^Account:.*{presence}$"))).to_be_visible()


def identify(page: Page, name: str, **more) -> None:
    """Kefu.identify({name, …}) on the host page, as a site that knows its visitor would."""
    page.wait_for_function("() => window.Kefu && window.Kefu.version")
    page.evaluate("data => window.Kefu.identify(data)", {"name": name, **more})


def open_widget(page: Page, lang: str = "en"):
    """Clicks the launcher and returns the panel (a dialog in the widget's shadow root)."""
    launcher = page.get_by_role("button", name=re.compile({"en": "^Open chat", "zh-CN": "^打开在线客服"}[lang]))
    expect(launcher).to_be_visible()
    launcher.click()
    panel = page.get_by_role("dialog", name=re.compile({"en": "^Chat with", "zh-CN": "^与.*聊天"}[lang]))
    expect(panel).to_be_visible()
    settle(panel)
    return panel


def settle(locator) -> None:
    """Waits for the element's finite CSS animations and transitions (an opening panel) to end;
    endless ones (a pulsing "connecting" dot) are not waited for, and nothing longer than 3 s."""
    locator.evaluate("""el => Promise.race([
        Promise.all(el.getAnimations({subtree: true})
            .filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
            .map(a => a.finished.catch(() => null))),
        new Promise(done => setTimeout(done, 3000))])""")


def messages(page: Page):
    """The workspace's message list."""
    return page.get_by_role("region", name="Messages")


MESSAGE_BOX = {"en": "Message", "zh-CN": "消息"}


def visitor_writes(visitor: Page, url: str, name: str, text: str, lang: str = "en", referer: str | None = None,
                   sent: bool = False, **identity):
    """The visitor opens `url` (a page of the site), identifies as `name` (Kefu.identify), opens
    the widget and writes `text`; with `sent`, waits until the widget says it is stored. Returns
    the widget panel."""
    visitor.goto(url, referer=referer)
    identify(visitor, name, **identity)
    panel = open_widget(visitor, lang)
    box = panel.get_by_role("textbox", name=MESSAGE_BOX[lang])
    box.fill(text)
    box.press("Enter")
    if sent:
        expect(panel.get_by_text(re.compile("· (Sent|Seen)$|· (已发送|已读)$"))).to_be_visible()
    return panel


def agent_opens(agent: Page, name: str, text: str) -> None:
    """The agent clicks the conversation of visitor `name` in the list and sees `text` in it."""
    row = agent.get_by_role("link", name=re.compile(re.escape(name)))
    expect(row).to_be_visible()
    row.click()
    expect(messages(agent)).to_contain_text(text)


def visitor_writes_agent_opens(agent: Page, visitor: Page, kefu: "Kefu", site: "Site", name: str, text: str,
                               path: str = "/", title: str = "Northwind Outfitters", **identity):
    """The agent signs in (online, so the conversation is assigned to them), the visitor on the
    other origin identifies as `name`, opens the widget and writes `text`; the agent opens the
    conversation. Returns the widget panel."""
    sign_in(agent, kefu.url, kefu.password)
    panel = visitor_writes(visitor, site.page(path, title), name, text, **identity)
    agent_opens(agent, name, text)
    expect(agent.get_by_role("button", name="Resolve")).to_be_visible()
    return panel


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    """Saves docs/screenshots/<name>.png (the viewport; PNG)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.mouse.move(0, 0)
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path


def gzipped_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=9, mtime=0))


def png_bytes(width: int = 48, height: int = 32) -> bytes:
    """A small valid PNG (a gradient), made here so no fixture file is needed."""
    import struct
    import zlib

    rows = b"".join(b"\x00" + b"".join(struct.pack("BBB", 30 + x * 180 // width, 120 + y * 100 // height, 220 - x * 60 // width) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def pdf_bytes() -> bytes:
    """A minimal PDF document."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")



"""Browser benchmark (`scripts/bench browser`): the web chat's figures in Chromium.

Starts a throwaway `kefu serve` (KEFU_PORT=0, a fresh KEFU_DATA_DIR, its built-in PostgreSQL and
the demo tenant), then measures in one run:

1. Widget sizes, gzipped at level 9 and summed over the files the browser received: the launcher
   (widget.js and what it fetches before the first open) and the panel (what the first open
   fetches).
2. widget.js request start → first frame with the launcher shown, median of N cold loads of
   /demo (a new browser context each, so nothing is cached).
3. Workspace: a conversation of 2,000 messages (seeded with SQL), click in the list → first
   frame with its last message inside the message pane, median of R.
4. Workspace: a list of 5,000 conversations (seeded with SQL), navigation to /app/ → first frame
   with rows of the list shown, and scrolling the list to the bottom → first frame with the next
   page's rows, median of R (a new context each).

Times are taken inside the page (performance.now(), requestAnimationFrame), not by polling from
Python, so they do not include Playwright's round trips.

Usage: .venv/bin/python Benchmarks/browser/bench_browser.py [--server PATH] [--loads 10] [--runs 5]
The server binary: --server, else KEFU_BENCH_SERVER, else .build/release/kefu, else .build/debug/kefu.
"""
import argparse
import datetime
import gzip
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
BIG_THREAD = 2000
LIST_SIZE = 5000
LAST_MARK = f"Bench message {BIG_THREAD} of {BIG_THREAD}"


# ---------- server ----------

@dataclass
class Server:
    binary: Path
    work: Path
    process: subprocess.Popen
    url: str = ""
    password: str = ""
    widget_key: str = ""
    log: Path = field(default=None)
    app: str = "/app/"

    @property
    def data_dir(self):
        return self.work / "data"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.work, ignore_errors=True)


def pick_binary(explicit):
    for candidate in (explicit, os.environ.get("KEFU_BENCH_SERVER")):
        if candidate:
            return Path(candidate).absolute()
    for build in ("release", "debug"):
        path = ROOT / ".build" / build / "kefu"
        if path.exists():
            return path
    sys.exit("bench_browser: no kefu binary (build one, or pass --server)")


def start_server(binary):
    # Short path: the cluster's Unix socket path must stay under 100 bytes.
    work = Path(tempfile.mkdtemp(prefix="kefu-bb.", dir="/tmp"))
    work.chmod(0o755)  # the built-in PostgreSQL runs as postgres when we are root
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(KEFU_PORT="0", KEFU_HOST="127.0.0.1", KEFU_DATA_DIR=str(work / "data"), KEFU_SEED_DEMO="true",
               KEFU_PUBLIC_DIR=str(ROOT / "Public"), KEFU_LOG_LEVEL="info",
               KEFU_API_RATE_LIMIT="1000000", KEFU_WS_UPGRADE_RATE_LIMIT="0")
    log = work / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(binary), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = Server(binary=binary, work=work, process=process, log=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
        password = re.search(r"password: (\S+)", text)
        key = re.search(r"Demo widget key: (kfw_\S+)", text)
        if url and password and key:
            server.url, server.password, server.widget_key = url.group(1), password.group(1), key.group(1)
            server.app = workspace_path(server.url)
            return server
        if process.poll() is not None:
            break
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:]
    server.stop()
    sys.exit(f"bench_browser: the server did not start:\n{tail}")


def workspace_path(url):
    """/app/, or /app/index.html when GET /app/ does not answer 200 (it redirected to itself in
    a loop at fa25080: the router matches "app" with or without the trailing slash)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    try:
        with urllib.request.build_opener(NoRedirect).open(f"{url}/app/", timeout=10) as response:
            if response.status == 200:
                return "/app/"
    except urllib.error.HTTPError:
        pass
    print("note: GET /app/ does not answer 200; the workspace is opened at /app/index.html", flush=True)
    return "/app/index.html"


def psql(server, sql):
    """Runs SQL in the built-in cluster as its `kefu` superuser, over the Unix socket."""
    binary = shutil.which("psql") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), None)
    if not binary:
        sys.exit("bench_browser: psql not found")
    argv = [str(binary), "-h", str(server.data_dir / "run"), "-U", "kefu", "-d", "kefu",
            "-v", "ON_ERROR_STOP=1", "-q", "-At", "-f", "-"]
    if os.getuid() == 0:  # the cluster (and its socket, mode 0700) belongs to postgres then
        argv = ["runuser", "-u", "postgres", "--"] + argv
    done = subprocess.run(argv, input=sql, text=True, capture_output=True)
    if done.returncode != 0:
        sys.exit(f"bench_browser: psql failed: {done.stderr}")
    return done.stdout.strip()


def seed_thread(server):
    """One visitor conversation, open and assigned to the owner, with BIG_THREAD messages."""
    conversation = str(uuid.uuid4())
    psql(server, f"""
BEGIN;
CREATE TEMP TABLE ids AS
  SELECT t.id AS tenant, u.id AS owner, w.id AS widget, gen_random_uuid() AS visitor
  FROM tenants t JOIN users u ON u.tenant_id = t.id JOIN widgets w ON w.tenant_id = t.id
  WHERE t.slug = 'demo' LIMIT 1;
INSERT INTO visitors (tenant_id, id, widget_id, token_hash, name, email, created_at, last_seen_at)
  SELECT tenant, visitor, widget, sha256(visitor::text::bytea), 'Long Thread', 'long@bench.example',
         now() - interval '12 hours', now() FROM ids;
INSERT INTO conversations (tenant_id, id, widget_id, visitor_id, assignee_id, status, assigned_at,
                           last_activity_at, created_at, updated_at, agent_read_seq, visitor_read_seq)
  SELECT tenant, '{conversation}', widget, visitor, owner, 'open', now() - interval '12 hours',
         now(), now() - interval '12 hours', now(), {BIG_THREAD}, {BIG_THREAD} FROM ids;
INSERT INTO messages (tenant_id, conversation_id, seq, sender_type, sender_id, kind, body, created_at)
  SELECT tenant, '{conversation}', g,
         CASE WHEN g % 2 = 1 THEN 'visitor' ELSE 'agent' END,
         CASE WHEN g % 2 = 1 THEN visitor ELSE owner END, 'text',
         CASE WHEN g = {BIG_THREAD} THEN '{LAST_MARK}'
              ELSE 'Bench message ' || g || ': the parcel left the warehouse this morning, tracking follows.' END,
         now() - ({BIG_THREAD} - g) * interval '20 seconds'
  FROM ids, generate_series(1, {BIG_THREAD}) g;
COMMIT;
ANALYZE visitors; ANALYZE conversations; ANALYZE messages;
""")
    return conversation


def seed_list(server):
    """LIST_SIZE more conversations assigned to the owner (so in "Mine"), each with 2 messages.
    All activity lies within the last 15 hours: conversations idle longer than the tenant's
    auto-resolve time (a day by default) would be resolved, and leave the lists, mid-run."""
    psql(server, f"""
BEGIN;
CREATE TEMP TABLE ids AS
  SELECT t.id AS tenant, u.id AS owner, w.id AS widget
  FROM tenants t JOIN users u ON u.tenant_id = t.id JOIN widgets w ON w.tenant_id = t.id
  WHERE t.slug = 'demo' LIMIT 1;
CREATE TEMP TABLE seeded AS
  SELECT g, gen_random_uuid() AS visitor, gen_random_uuid() AS conversation,
         now() - interval '15 hours' + g * interval '10 seconds' AS at
  FROM generate_series(1, {LIST_SIZE}) g;
INSERT INTO visitors (tenant_id, id, widget_id, token_hash, name, email, created_at, last_seen_at)
  SELECT tenant, visitor, widget, sha256(visitor::text::bytea), 'Visitor ' || g, 'visitor' || g || '@bench.example', at, at
  FROM ids, seeded;
INSERT INTO conversations (tenant_id, id, widget_id, visitor_id, assignee_id, status, assigned_at,
                           last_activity_at, created_at, updated_at, agent_read_seq, visitor_read_seq)
  SELECT tenant, conversation, widget, visitor, owner, 'open', at, at, at, at, 1, 2 FROM ids, seeded;
INSERT INTO messages (tenant_id, conversation_id, seq, sender_type, sender_id, kind, body, created_at)
  SELECT tenant, conversation, s,
         CASE WHEN s = 1 THEN 'visitor' ELSE 'agent' END, CASE WHEN s = 1 THEN visitor ELSE owner END, 'text',
         CASE WHEN s = 1 THEN 'Hello, where is my order ' || g || '?' ELSE 'It ships today.' END,
         at + s * interval '5 seconds'
  FROM ids, seeded, generate_series(1, 2) s;
COMMIT;
ANALYZE visitors; ANALYZE conversations; ANALYZE messages;
""")


# ---------- in-page timing ----------

# Marks the first frame in which the launcher button is shown: its host in the page, not hidden,
# and its stylesheet applied (the button is position: fixed and has a size).
LAUNCHER_WATCH = """
(() => {
  const out = (window.__kb = window.__kb || {});
  const shown = () => {
    const host = document.querySelector("[data-kefu-widget]");
    if (!host || host.hidden || !host.shadowRoot) return false;
    const button = host.shadowRoot.querySelector(".kl-launcher");
    if (!button) return false;
    const box = button.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(button).position === "fixed";
  };
  const observer = new MutationObserver(() => {
    if (out.launcherDom !== undefined || !shown()) return;
    out.launcherDom = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => { out.launcherFrame = performance.now(); });
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["hidden"] });
})();
"""

# Polls every frame from the start of the document: the first frame with a row of the
# conversation list inside the window, and the first with at least `target` rows in the list;
# also the main thread's long tasks (over 50 ms) meanwhile.
LIST_WATCH = """
(target) => {
  const out = (window.__kb = window.__kb || {});
  out.longest = 0; out.longTotal = 0;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) { out.longest = Math.max(out.longest, entry.duration); out.longTotal += entry.duration; }
    }).observe({ type: "longtask", buffered: true });
  } catch { /* no long task timing */ }
  const tick = () => {
    const rows = document.querySelectorAll("kefu-conversation-list .conv-item");
    if (out.firstRows === undefined && rows.length) {
      const box = rows[0].getBoundingClientRect();
      if (box.height > 0 && box.top < innerHeight && box.bottom > 0) out.firstRows = performance.now();
    }
    if (out.allRows === undefined && rows.length >= target) out.allRows = performance.now();
    if (out.allRows === undefined || out.firstRows === undefined) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""

# Scrolls the list to its end and marks the first frame with more rows than before.
SCROLL_AND_WATCH = """
() => new Promise((resolve) => {
  const scroller = document.querySelector("kefu-conversation-list .list-scroll");
  const count = () => scroller.querySelectorAll(".conv-item").length;
  const before = count();
  const start = performance.now();
  scroller.scrollTop = scroller.scrollHeight;
  const tick = () => {
    if (count() > before) { resolve({ ms: performance.now() - start, before, after: count() }); return; }
    if (performance.now() - start > 30000) { resolve({ ms: null, before, after: count() }); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})
"""

# Before the click: note the click's time stamp, then poll every frame for the conversation's
# last message inside the visible part of the message pane.
THREAD_WATCH = """
(mark) => {
  const out = (window.__kb = window.__kb || {});
  out.click = undefined; out.thread = undefined;
  document.addEventListener("click", (event) => { out.click = event.timeStamp; }, { capture: true, once: true });
  const tick = () => {
    const scroller = document.querySelector("kefu-message-list .msg-scroll");
    const last = scroller && scroller.querySelector(".msg-list > li:last-child");
    if (last && out.click !== undefined && last.textContent.includes(mark)) {
      const box = last.getBoundingClientRect(), view = scroller.getBoundingClientRect();
      if (box.height > 0 && box.top < view.bottom && box.bottom > view.top) { out.thread = performance.now(); return; }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""


# ---------- measures ----------

def new_context(browser, **options):
    return browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US", **options)


def gz(data):
    return len(gzip.compress(data, compresslevel=9))


def widget_sizes(browser, server):
    """Bytes gzipped (-9) of what the widget loads before and on first open."""
    context = new_context(browser)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.add_init_script(LAUNCHER_WATCH)
    # The demo page's own script imports /shared/i18n.js, which the panel imports too: kept from
    # running, so the page holds the widget alone and the panel's share is counted as the panel's.
    page.route("**/demo/demo.js", lambda route: route.abort())
    page.goto(f"{server.url}/demo")
    page.wait_for_function("() => window.__kb && window.__kb.launcherFrame !== undefined")
    page.wait_for_load_state("networkidle")
    before_open = len(responses)
    launcher = page.locator("[data-kefu-widget] .kl-launcher")
    launcher.click()
    page.locator("[data-kefu-widget] .kefu-panel").wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    settle(page, responses)

    def own(response):
        path = response.url.removeprefix(server.url).split("?")[0]
        return not (path in ("/demo", "/favicon.ico") or path.startswith("/demo/")) and response.status < 300

    def files(part):
        out = []
        for response in part:
            if not own(response):
                continue
            body = response.body()
            out.append((response.url.removeprefix(server.url).split("?")[0], len(body), gz(body)))
        return out

    result = files(responses[:before_open]), files(responses[before_open:])
    context.close()
    return result


def settle(page, responses, quiet=500):
    """Waits until no new response has arrived for `quiet` ms (waiting in Playwright, so its
    events keep being delivered)."""
    count = -1
    while count != len(responses):
        count = len(responses)
        page.wait_for_timeout(quiet)


def launcher_times(browser, server, loads):
    """widget.js request start → launcher shown, per cold load (ms): (DOM, first frame)."""
    times = []
    for _ in range(loads):
        context = new_context(browser)
        page = context.new_page()
        page.add_init_script(LAUNCHER_WATCH)
        page.goto(f"{server.url}/demo")
        page.wait_for_function("() => window.__kb && window.__kb.launcherFrame !== undefined")
        start, dom, frame, script, config, css = page.evaluate("""() => {
          const entry = (path) => performance.getEntriesByType("resource").find((e) => new URL(e.name).pathname === path) || {};
          const script = entry("/widget.js");
          return [script.startTime, window.__kb.launcherDom, window.__kb.launcherFrame,
                  script.responseEnd, entry("/api/v1/widget/config").responseEnd, entry("/widget/launcher.css").responseEnd];
        }""")
        # The phases after the request start: widget.js received, config answered, stylesheet received.
        times.append((dom - start, frame - start, script - start, config - start, css - start))
        context.close()
    return times


def sign_in(browser, server):
    """Signs the demo owner in through the sign-in form; returns the context's storage state."""
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{server.url}{server.app}")
    page.get_by_role("textbox", name="Workspace").fill("demo")
    page.get_by_role("textbox", name="Email").fill("owner@demo.kefu.local")
    page.get_by_label("Password", exact=True).fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Workspace navigation").wait_for()
    state = context.storage_state()
    context.close()
    return state


def thread_times(browser, server, state, conversation, runs):
    """Click on the conversation in the list → its last message shown (ms), per run."""
    times = []
    for _ in range(runs):
        context = new_context(browser, storage_state=state)
        page = context.new_page()
        page.goto(f"{server.url}{server.app}#/mine")
        row = page.locator(f'a.conv-row[data-id="{conversation.upper()}"]')
        row.wait_for()
        page.wait_for_load_state("networkidle")
        page.evaluate(THREAD_WATCH, LAST_MARK)
        row.click()
        page.wait_for_function("() => window.__kb.thread !== undefined", timeout=60000)
        times.append(page.evaluate("() => window.__kb.thread - window.__kb.click"))
        context.close()
    return times


def list_times(browser, server, state, view, runs, target=None):
    """A list view: navigation → first rows shown, and either → `target` rows in the list (ms),
    or (no target: a paged view) scrolling to the end → the next page's rows shown; per run."""
    times = []
    for _ in range(runs):
        context = new_context(browser, storage_state=state)
        page = context.new_page()
        frames = []
        page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: frames.append(len(payload))))
        page.add_init_script(f"({LIST_WATCH})({target or 10**9})")
        page.goto(f"{server.url}{server.app}#/{view}")
        page.wait_for_function("() => window.__kb && window.__kb.firstRows !== undefined", timeout=60000)
        if target:
            page.wait_for_function("() => window.__kb.allRows !== undefined", timeout=120000)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        first, full, longest, rows = page.evaluate("""() => [window.__kb.firstRows, window.__kb.allRows, window.__kb.longest,
            document.querySelectorAll("kefu-conversation-list .conv-item").length]""")
        scrolled = None
        if not target:
            scrolled = page.evaluate(SCROLL_AND_WATCH)
            if scrolled["ms"] is None:
                sys.exit(f"bench_browser: scrolling the {view} list loaded no more rows ({scrolled})")
        times.append(dict(first=first, full=full, longest=longest, rows=rows, scrolled=scrolled,
                          largest_frame=max(frames, default=0)))
        context.close()
    return times


# ---------- report ----------

def ms(values):
    values = sorted(values)
    return f"{statistics.median(values):.0f} ms ({values[0]:.0f}–{values[-1]:.0f})"


def kb(files):
    return f"{sum(f[2] for f in files) / 1000:.1f} KB ({sum(f[2] for f in files):,} B, {len(files)} files)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="the kefu binary (default: KEFU_BENCH_SERVER, .build/release/kefu, .build/debug/kefu)")
    parser.add_argument("--loads", type=int, default=10, help="cold loads of /demo for the launcher time")
    parser.add_argument("--runs", type=int, default=5, help="runs of each workspace measure")
    args = parser.parse_args()

    binary = pick_binary(args.server)
    build = "release" if "/release/" in str(binary) else "debug" if "/debug/" in str(binary) else "given"
    server = start_server(binary)
    try:
        with sync_playwright() as p:
            launch_args = ["--no-sandbox"] if os.getuid() == 0 else []
            browser = p.chromium.launch(executable_path=CHROMIUM, args=launch_args)
            print(f"browser benchmark: {binary.relative_to(ROOT) if binary.is_relative_to(ROOT) else binary} ({build} build), "
                  f"Chromium {browser.version}, {os.cpu_count()} cores, "
                  f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%dT%H:%MZ}", flush=True)

            launcher_files, panel_files = widget_sizes(browser, server)
            launcher = launcher_times(browser, server, args.loads)
            state = sign_in(browser, server)

            t0 = time.monotonic()
            conversation = seed_thread(server)
            seeded_thread = time.monotonic() - t0
            thread = thread_times(browser, server, state, conversation, args.runs)

            t0 = time.monotonic()
            seed_list(server)
            seeded_list = time.monotonic() - t0
            # Mine pages by the REST cursor like every list: its first rows, and the next page on scroll.
            mine = list_times(browser, server, state, "mine", args.runs)
            paged = list_times(browser, server, state, "all", args.runs)
            browser.close()
    finally:
        server.stop()

    each = lambda values: ", ".join(f"{v:.0f}" for v in values)
    scroll = paged[0]["scrolled"]
    rows = [
        ("widget launcher at page load, gzip -9", kb(launcher_files)),
        ("widget panel on first open, gzip -9", kb(panel_files)),
        (f"widget.js request → launcher shown (DOM), median of {args.loads} cold loads", ms([t[0] for t in launcher])),
        (f"widget.js request → launcher shown (first frame), median of {args.loads}", ms([t[1] for t in launcher])),
        (f"conversation of {BIG_THREAD:,} messages: click → last message shown, median of {args.runs}", ms(thread)),
        (f"{LIST_SIZE + 1:,} conversations, Mine (/app/, paged): navigation → first rows shown, median of {args.runs}",
         ms([t["first"] for t in mine])),
        (f"  Mine: scroll to the end → next page shown ({mine[0]['scrolled']['before']} → {mine[0]['scrolled']['after']} rows)",
         ms([t["scrolled"]["ms"] for t in mine])),
        ("  Mine: longest main-thread task meanwhile", ms([t["longest"] for t in mine])),
        (f"  All (paged): navigation → first rows shown, median of {args.runs}", ms([t["first"] for t in paged])),
        (f"  All: scroll to the end → next page shown ({scroll['before']} → {scroll['after']} rows)",
         ms([t["scrolled"]["ms"] for t in paged])),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure'.ljust(width)}  median (min–max)")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    print()
    for title, files in (("launcher", launcher_files), ("panel", panel_files)):
        print(f"{title} files (bytes → gzip -9): " + ", ".join(f"{f[0]} {f[1]:,} → {f[2]:,}" for f in files))
    print("launcher phases, median ms after the widget.js request: widget.js received "
          f"{statistics.median(t[2] for t in launcher):.0f}, config answered {statistics.median(t[3] for t in launcher):.0f}, "
          f"launcher.css received {statistics.median(t[4] for t in launcher):.0f}, launcher shown {statistics.median(t[0] for t in launcher):.0f}")
    print(f"each run (ms): launcher first frame {each(t[1] for t in launcher)}; thread {each(thread)}; "
          f"Mine first rows {each(t['first'] for t in mine)}, next page {each(t['scrolled']['ms'] for t in mine)}; "
          f"All first rows {each(t['first'] for t in paged)}, next page {each(t['scrolled']['ms'] for t in paged)}")
    print(f"largest agent socket frame while Mine loads (the welcome): {mine[0]['largest_frame']:,} bytes")
    print(f"seeding with SQL: {BIG_THREAD:,} messages in {seeded_thread:.1f} s, "
          f"{LIST_SIZE:,} conversations (2 messages each) in {seeded_list:.1f} s")


if __name__ == "__main__":
    main()

/**
 * ReconnectingSocket — a JSON WebSocket that keeps itself connected. Shared by the widget and
 * the agent workspace; the API below is stable (additions only).
 *
 *   const socket = new ReconnectingSocket(url, options)
 *     url      string, or a function returning one (called before every attempt)
 *     options  { minDelay = 500, maxDelay = 30000,   backoff bounds in ms (full jitter)
 *                heartbeat = {type: "ping"},          sent to probe a socket that may be dead
 *                probeTimeout = 5000 }                no frame within this after a probe: reconnect
 *   socket.connect()          start (again); idempotent
 *   socket.send(object)       → true if written, false when not open (queue it yourself)
 *   socket.close()            stop for good (no more reconnects) until connect()
 *   socket.retryNow()         skip the current backoff wait
 *   socket.reconnect()        drop the current socket and open a new one at once
 *   socket.probe()            send the heartbeat; reconnect if nothing arrives in time
 *   socket.state              "idle" | "connecting" | "open" | "waiting" | "closed"
 *   socket.attempt            consecutive failed attempts (0 once a socket opened)
 *   events (EventTarget, CustomEvent.detail):
 *     "open"   {}                         a new socket is open: send hello/resume now
 *     "frame"  the parsed JSON object     one per text frame
 *     "close"  {code, reason}             the socket closed (a reconnect follows unless closed)
 *     "state"  the new state string
 *
 * Reconnects with exponential backoff and full jitter; retries at once when the browser comes
 * back `online` and probes the socket when the tab becomes visible again (a laptop that slept
 * keeps a dead socket that never fires `close`). A server `reconnect` frame is honoured.
 * It never parses anything but JSON and never touches the DOM.
 */
export class ReconnectingSocket extends EventTarget {
  constructor(url, options = {}) {
    super();
    this.url = url;
    this.minDelay = options.minDelay ?? 500;
    this.maxDelay = options.maxDelay ?? 30000;
    this.heartbeat = options.heartbeat ?? { type: "ping" };
    this.probeTimeout = options.probeTimeout ?? 5000;
    this.state = "idle";
    this.attempt = 0;
    this.ws = null;
    this.timer = 0;
    this.probeTimer = 0;
    this.stopped = true;
    this.onOnline = () => this.retryNow();
    this.onVisible = () => {
      if (document.visibilityState !== "visible") return;
      if (this.state === "open") this.probe(); else this.retryNow();
    };
  }

  connect() {
    if (!this.stopped && this.state !== "closed") return;
    this.stopped = false;
    addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.open();
  }

  close() {
    this.stopped = true;
    removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearTimeout(this.timer);
    clearTimeout(this.probeTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000);
    this.setState("closed");
  }

  send(object) {
    if (this.state !== "open" || !this.ws) return false;
    try {
      this.ws.send(JSON.stringify(object));
      return true;
    } catch {
      return false;
    }
  }

  retryNow() {
    if (this.stopped || this.state === "open" || this.state === "connecting") return;
    clearTimeout(this.timer);
    this.open();
  }

  reconnect() {
    if (this.stopped) return;
    if (this.ws) this.drop(this.ws, 4000, "reconnect");
    this.retryNow();
  }

  /** Sends the heartbeat; if nothing at all arrives in time, the socket is presumed dead. */
  probe() {
    if (this.probeTimer || !this.send(this.heartbeat)) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = 0;
      if (this.ws) this.drop(this.ws, 4000, "probe timeout");
    }, this.probeTimeout);
  }

  open() {
    if (this.stopped) return;
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(typeof this.url === "function" ? this.url() : this.url);
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setState("open");
      this.emit("open", {});
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws || typeof event.data !== "string") return;
      clearTimeout(this.probeTimer);
      this.probeTimer = 0;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object") return;
      if (frame.type === "reconnect") this.attempt = 0;
      this.emit("frame", frame);
    };
    ws.onclose = (event) => this.drop(ws, event.code, event.reason);
  }

  drop(ws, code, reason) {
    if (this.ws !== ws) return;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try { ws.close(); } catch { /* already closing */ }
    clearTimeout(this.probeTimer);
    this.probeTimer = 0;
    this.emit("close", { code, reason });
    if (!this.stopped) this.schedule();
  }

  schedule() {
    const cap = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt);
    this.attempt += 1;
    this.setState("waiting");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), this.minDelay / 2 + Math.random() * cap);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/**
 * Directory: names for the ids that conversations and events carry — agents, teams, widgets and
 * visitors — loaded lazily and cached. Visitors load on demand (only the rows on screen ask),
 * a few requests at a time. Fires "agents", "teams", "widgets" and "visitor" (detail: id) when
 * something new is known, so views can fill in names that arrived late.
 */
import { get } from "./api.js";

export const upper = (id) => (typeof id === "string" ? id.toUpperCase() : id);

export class Directory extends EventTarget {
  constructor() {
    super();
    this.agents = new Map();
    this.teams = new Map();
    this.widgets = new Map();
    this.visitors = new Map();
    this.visitorQueue = [];
    this.visitorPending = new Set();
    this.visitorActive = 0;
    /** Reads asked for and answers applied, numbered per visitor: an answer older than one
     * already applied is dropped (one arriving first is kept until the newer one comes). */
    this.visitorReads = new Map();
    this.visitorApplied = new Map();
    this.agentsAvailable = true;
    this.widgetsAvailable = true;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /**
   * Agents for names and for "assign to": GET /api/v1/agents (any signed-in agent), else
   * /api/v1/users (administrators), else only what frames and events reveal.
   */
  async loadAgents() {
    try {
      const answer = await get("/api/v1/agents");
      for (const agent of answer.items ?? []) this.agents.set(upper(agent.id), { ...agent, id: upper(agent.id) });
    } catch (error) {
      if (error.status !== 404 && error.status !== 405) throw error;
      try {
        let cursor;
        do {
          const page = await get("/api/v1/users", { limit: 200, cursor });
          for (const user of page.items ?? []) {
            if (user.status !== "active") continue;
            const known = this.agents.get(upper(user.id));
            this.agents.set(upper(user.id), { id: upper(user.id), displayName: user.displayName, presence: known?.presence, teamIds: user.teamIds ?? [] });
          }
          cursor = page.nextCursor;
        } while (cursor);
      } catch {
        this.agentsAvailable = this.agents.size > 1;
      }
    }
    this.emit("agents");
  }

  async loadTeams() {
    try {
      let cursor;
      do {
        const page = await get("/api/v1/teams", { limit: 200, cursor });
        for (const team of page.items ?? []) this.teams.set(upper(team.id), team);
        cursor = page.nextCursor;
      } while (cursor);
    } catch { /* names fall back to "a team" */ }
    this.emit("teams");
  }

  async loadWidgets() {
    try {
      let cursor;
      do {
        const page = await get("/api/v1/widgets", { limit: 200, cursor });
        for (const widget of page.items ?? []) this.widgets.set(upper(widget.id), widget);
        cursor = page.nextCursor;
      } while (cursor);
    } catch {
      this.widgetsAvailable = false;
    }
    this.emit("widgets");
  }

  /** Remembers a name the server sent along (assigneeName on conversations, senderName on messages). */
  noteAgent(id, displayName) {
    if (!id || !displayName) return;
    const key = upper(id);
    const known = this.agents.get(key);
    if (known?.displayName === displayName) return;
    this.agents.set(key, { ...known, id: key, displayName });
    this.emit("agents");
  }

  agentName(id) {
    return this.agents.get(upper(id))?.displayName;
  }

  teamName(id) {
    return this.teams.get(upper(id))?.name;
  }

  widgetName(id) {
    return this.widgets.get(upper(id))?.name;
  }

  /** The visitor if loaded; otherwise undefined, and a load is queued (unless `load` is false). */
  visitor(id, { load = true } = {}) {
    const key = upper(id);
    const known = this.visitors.get(key);
    if (known || !load || !key) return known;
    if (!this.visitorPending.has(key)) {
      this.visitorPending.add(key);
      this.visitorQueue.push(key);
      this.pump();
    }
    return undefined;
  }

  /** Whether the visitor is shown or being read (a change to them must be read again). */
  visitorWanted(id) {
    const key = upper(id);
    return this.visitors.has(key) || this.visitorPending.has(key);
  }

  /**
   * Loads (or reloads) one visitor now; resolves to it, or null when it cannot be read. Reads
   * may overlap (a profile change arriving while the first read is on its way): an older answer
   * never replaces a newer one, so it never hides a newer name.
   */
  async fetchVisitor(id) {
    const key = upper(id);
    const read = (this.visitorReads.get(key) ?? 0) + 1;
    this.visitorReads.set(key, read);
    try {
      const visitor = await get(`/api/v1/visitors/${encodeURIComponent(key)}`);
      if (read < (this.visitorApplied.get(key) ?? 0)) return this.visitors.get(key) ?? visitor;
      this.visitorApplied.set(key, read);
      this.visitors.set(key, visitor);
      this.emit("visitor", key);
      return visitor;
    } catch {
      return null;
    }
  }

  pump() {
    while (this.visitorActive < 4 && this.visitorQueue.length) {
      const key = this.visitorQueue.shift();
      this.visitorActive += 1;
      this.fetchVisitor(key).finally(() => {
        this.visitorActive -= 1;
        this.visitorPending.delete(key);
        this.pump();
      });
    }
  }
}

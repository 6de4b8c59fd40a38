/**
 * The conversation lists (views) and one loaded list. A view says which conversations belong to
 * it (as REST query parameters, and as a predicate for live frames) and how they are ordered.
 * A ConversationList loads pages with the REST cursor as the person scrolls (never everything),
 * and keeps itself current from the store's conversation events with small operations —
 * insert, remove, move — so the list element updates single rows, never the whole list.
 *
 * ConversationList events ("change", detail): {op: "reset"} | {op: "insert", id, index} |
 * {op: "remove", id, index} | {op: "move", id, index} | {op: "state"} (loading/done/error).
 */
import { get } from "./api.js";
import { upper } from "./directory.js";

const active = ["queued", "open", "pending", "snoozed", "bot"];

/** The lists in the order the navigation shows them. `needs` names a permission they require. */
export const viewKeys = ["mine", "queue", "bot", "all", "pending", "resolved"];

export function viewFor(key, store) {
  const mineOnly = !store.can("conversations.read");
  switch (key) {
    case "queue":
      return { key, statuses: ["queued"], assignee: "none", order: "queue", needs: "conversations.read" };
    case "bot":
      return { key, statuses: ["bot"], assignee: "none", order: "created", needs: "conversations.read" };
    case "all":
      return { key, statuses: active, order: "created", needs: "conversations.read", statusFilter: true };
    case "pending":
      return { key, statuses: ["pending", "snoozed"], assignee: mineOnly ? store.userId : undefined, order: "activity" };
    case "resolved":
      return { key, statuses: ["resolved"], assignee: mineOnly ? store.userId : undefined, order: "created" };
    default:
      // What needs this agent now: a pending or snoozed conversation waits in "pending" until
      // the visitor writes or the snooze ends.
      return { key: "mine", statuses: ["open"], assignee: store.userId, order: "activity" };
  }
}

function time(value) {
  return value ? Date.parse(value) || 0 : 0;
}

export class ConversationList extends EventTarget {
  /**
   * @param filters {teamId?, widgetId?, status?, q?}; `status` narrows a view with statusFilter.
   */
  constructor(store, view, filters = {}) {
    super();
    this.store = store;
    this.view = view;
    this.filters = filters;
    this.ids = [];
    this.members = new Set();
    this.cursor = undefined;
    this.done = false;
    this.loading = false;
    this.error = null;
    this.generation = 0;
    this.onConversation = (event) => this.track(event.detail.conversation);
    this.onBulk = () => this.endBulk();
    this.bulkChanged = false;
    store.addEventListener("conversation", this.onConversation);
    store.addEventListener("bulk", this.onBulk);
  }

  dispose() {
    this.store.removeEventListener("conversation", this.onConversation);
    this.store.removeEventListener("bulk", this.onBulk);
    this.generation += 1;
  }

  emit(detail) {
    // Inside a burst of conversations (a welcome with thousands), one reset at the end replaces
    // thousands of single-row changes.
    if (this.store.bulk && detail.op !== "state") { this.bulkChanged = true; return; }
    this.dispatchEvent(new CustomEvent("change", { detail }));
  }

  endBulk() {
    if (!this.bulkChanged) return;
    this.bulkChanged = false;
    this.emit({ op: "reset" });
  }

  statuses() {
    if (this.view.statusFilter && this.filters.status) return [this.filters.status];
    return this.view.statuses;
  }

  query() {
    return {
      status: this.statuses().join(","),
      assigneeId: this.view.assignee,
      teamId: this.filters.teamId,
      widgetId: this.filters.widgetId,
      q: this.filters.q,
      // The server pages in the list's own order: newest first, or most recent activity first.
      order: { created: "desc", activity: "activity" }[this.view.order],
      limit: 50,
    };
  }

  /** Whether a conversation belongs here, judged locally (text search cannot be: see track). */
  matches(conversation) {
    if (!this.statuses().includes(conversation.status)) return false;
    if (this.view.assignee === "none" && conversation.assigneeId) return false;
    if (this.view.assignee && this.view.assignee !== "none" && conversation.assigneeId !== upper(this.view.assignee)) return false;
    if (this.filters.teamId && conversation.teamId !== upper(this.filters.teamId)) return false;
    if (this.filters.widgetId && conversation.widgetId !== upper(this.filters.widgetId)) return false;
    return true;
  }

  /** Sorts: negative when a comes before b. */
  compare(a, b) {
    switch (this.view.order) {
      case "queue":
        return (time(a.queuedAt ?? a.createdAt) - time(b.queuedAt ?? b.createdAt)) || (a.id < b.id ? -1 : 1);
      case "activity":
        // As the server orders `order=activity`: the time, then the id, both descending.
        return (time(b.lastMessageAt ?? b.createdAt) - time(a.lastMessageAt ?? a.createdAt)) || (a.id < b.id ? 1 : -1);
      default:
        // Newest first, as `order=desc` pages.
        return (time(b.createdAt) - time(a.createdAt)) || (a.id < b.id ? 1 : -1);
    }
  }

  /** Where `conversation` would go among the loaded ids; -1 when it sorts after the loaded range of an unfinished list. */
  positionOf(conversation) {
    let lo = 0, hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compare(this.store.conversation(this.ids[mid]), conversation) < 0) lo = mid + 1; else hi = mid;
    }
    if (lo >= this.ids.length && !this.done) return -1;
    return lo;
  }

  track(conversation) {
    if (!conversation) return;
    const id = conversation.id;
    const inside = this.members.has(id);
    const belongs = this.matches(conversation);
    if (inside && !belongs) {
      const index = this.ids.indexOf(id);
      this.ids.splice(index, 1);
      this.members.delete(id);
      this.emit({ op: "remove", id, index });
      return;
    }
    if (!inside && belongs) {
      if (this.filters.q) return; // text search cannot be judged locally; a refresh finds it
      const index = this.positionOf(conversation);
      if (index < 0) return;
      this.ids.splice(index, 0, id);
      this.members.add(id);
      this.emit({ op: "insert", id, index });
      return;
    }
    if (inside && this.view.order !== "created") {
      const from = this.ids.indexOf(id);
      const before = from > 0 ? this.store.conversation(this.ids[from - 1]) : null;
      const after = from < this.ids.length - 1 ? this.store.conversation(this.ids[from + 1]) : null;
      const inPlace = (!before || this.compare(before, conversation) <= 0) && (!after || this.compare(conversation, after) <= 0);
      if (inPlace) return;
      this.ids.splice(from, 1);
      let index = this.positionOf(conversation);
      if (index < 0) index = this.ids.length;
      this.ids.splice(index, 0, id);
      this.emit({ op: "move", id, index });
    }
  }

  /** Loads the next page (the first when empty). */
  async loadMore() {
    if (this.loading || this.done) return;
    this.loading = true;
    this.error = null;
    this.emit({ op: "state" });
    const generation = this.generation;
    try {
      const asOf = this.store.liveClock;
      const page = await get("/api/v1/conversations", { ...this.query(), cursor: this.cursor });
      if (generation !== this.generation) return;
      const items = page.items ?? [];
      this.cursor = page.nextCursor;
      this.done = !page.nextCursor;
      const wasEmpty = this.ids.length === 0;
      const fresh = [];
      for (const item of items) {
        const conversation = this.store.upsert(item, { asOf }) ?? item;
        if (this.members.has(conversation.id) || (!this.filters.q && !this.matches(conversation))) continue;
        fresh.push(conversation);
      }
      // Pages come in the list's own order: append.
      for (const conversation of fresh) {
        this.members.add(conversation.id);
        this.ids.push(conversation.id);
        if (!wasEmpty) this.emit({ op: "insert", id: conversation.id, index: this.ids.length - 1 });
      }
      this.loading = false;
      if (wasEmpty) this.emit({ op: "reset" });
      this.emit({ op: "state" });
    } catch (error) {
      if (generation !== this.generation) return;
      this.loading = false;
      this.error = error;
      this.emit({ op: "state" });
    }
  }

  /** Starts again from the first page (after a reconnect, or when filters change). */
  async refresh(filters) {
    if (filters) this.filters = filters;
    this.generation += 1;
    this.cursor = undefined;
    this.done = false;
    this.loading = false;
    this.error = null;
    const keep = this.ids;
    this.ids = [];
    this.members = new Set();
    await this.loadMore();
    if (this.error) {
      // Keep what was shown rather than an empty list when the refresh fails.
      this.ids = keep;
      this.members = new Set(keep);
      this.emit({ op: "reset" });
    }
  }
}

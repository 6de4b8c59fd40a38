/**
 * The conversation list's keyboard: one Tab stop for the whole list (a roving tabindex — the open
 * conversation's row, or the row last focused); the arrow keys, Home and End move between rows,
 * Space opens one like Enter. Mixed into <kefu-conversation-list>, whose `rows`, `list`,
 * `listNode`, `scroller`, `searchInput` and `selectedId` it reads.
 */
export const listKeyboard = {
  /** Makes `link` the list's one Tab stop (`chosen`: the agent focused or opened it). */
  setTabStop(link, chosen = false) {
    if (!link) return;
    this.tabStopChosen = chosen;
    if (link === this.tabStop) return;
    if (this.tabStop) this.tabStop.tabIndex = -1;
    link.tabIndex = 0;
    this.tabStop = link;
  },

  /** Keeps one Tab stop in the list as rows come and go: the row the agent last focused or
   * opened while it is listed, else the open conversation's row, else the first. */
  syncTabStop() {
    if (this.tabStopChosen && this.tabStop?.isConnected && this.listNode.contains(this.tabStop)) return;
    const row = this.rows.get(this.selectedId) ?? this.rows.get(this.list.ids[0]);
    this.setTabStop(row?.querySelector("a"));
  },

  focusRow(index) {
    const id = this.list.ids[index];
    this.rows.get(id)?.querySelector("a")?.focus();
  },

  onListKey(event) {
    if (event.key === " " && event.target.classList?.contains("conv-row")) {
      // Space opens the row like Enter (a link alone would scroll the list).
      event.preventDefault();
      event.target.click();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp" && event.key !== "Home" && event.key !== "End") return;
    const row = event.target.closest(".conv-item");
    if (!row) return;
    event.preventDefault();
    const index = this.list.ids.indexOf(row.dataset.id);
    const next = event.key === "Home" ? 0 : event.key === "End" ? this.list.ids.length - 1 : index + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0) { this.searchInput.focus(); return; }
    if (next >= this.list.ids.length) { this.list.loadMore(); return; }
    this.focusRow(next);
    scrollIntoViewIfNeeded(this.rows.get(this.list.ids[next]), this.scroller);
  },
};

/** Scrolls `node` into `scroller`'s view only when it is (partly) outside it. */
export function scrollIntoViewIfNeeded(node, scroller) {
  const box = node.getBoundingClientRect();
  const view = scroller.getBoundingClientRect();
  if (box.top < view.top || box.bottom > view.bottom) node.scrollIntoView({ block: "nearest" });
}

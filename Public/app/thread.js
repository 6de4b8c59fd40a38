/**
 * Thread: the loaded messages of one conversation, kept by seq. Messages arrive from REST pages,
 * history frames, live frames and resume replays in any mix; each seq is stored once, so a replay
 * never doubles a message. It knows the lowest and highest seq it holds and whether older pages
 * remain, which is all scroll-back and resume need.
 */
/** Whether a message counts as unread for agents: the visitor's texts and files (as the server
 * counts, migration 0026), not events, notes or replies. */
export function isUnreadForAgents(message) {
  return message.senderType === "visitor" && (message.kind === "text" || message.kind === "attachment");
}

export class Thread {
  constructor(conversationId) {
    this.conversationId = conversationId;
    this.bySeq = new Map();
    this.seqs = [];           // sorted ascending
    this.loaded = false;      // the newest page has been fetched
    this.hasMore = true;      // older messages may exist before minSeq
    this.loadingEarlier = null;
  }

  get minSeq() { return this.seqs.length ? this.seqs[0] : 0; }
  get maxSeq() { return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0; }
  get size() { return this.seqs.length; }

  /** Adds one message; false when its seq was already there (the stored copy is kept). */
  add(message) {
    const seq = message.seq;
    if (typeof seq !== "number" || this.bySeq.has(seq)) return false;
    this.bySeq.set(seq, message);
    const seqs = this.seqs;
    if (!seqs.length || seq > seqs[seqs.length - 1]) {
      seqs.push(seq);
    } else {
      let lo = 0, hi = seqs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (seqs[mid] < seq) lo = mid + 1; else hi = mid;
      }
      seqs.splice(lo, 0, seq);
    }
    if (seq === 1) this.hasMore = false;
    return true;
  }

  /** Adds many; returns the ones that were new, in seq order. */
  addMany(messages) {
    const added = [];
    for (const message of messages) if (this.add(message)) added.push(message);
    added.sort((a, b) => a.seq - b.seq);
    return added;
  }

  get(seq) { return this.bySeq.get(seq); }

  /** The message just before `seq` (for grouping consecutive messages), or undefined. */
  before(seq) {
    const index = this.indexOf(seq);
    return index > 0 ? this.bySeq.get(this.seqs[index - 1]) : undefined;
  }

  after(seq) {
    const index = this.indexOf(seq);
    return index >= 0 && index < this.seqs.length - 1 ? this.bySeq.get(this.seqs[index + 1]) : undefined;
  }

  indexOf(seq) {
    let lo = 0, hi = this.seqs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.seqs[mid] === seq) return mid;
      if (this.seqs[mid] < seq) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  /**
   * The visitor's messages after `seq` (what the agents have not read), or null when the thread
   * does not hold every seq from there to `lastSeq`: a count over a gap would be a guess.
   */
  visitorMessagesAfter(seq, lastSeq) {
    let count = 0;
    let expected = lastSeq;
    for (let i = this.seqs.length - 1; i >= 0 && this.seqs[i] > seq; i -= 1) {
      if (this.seqs[i] !== expected) return null;
      const message = this.bySeq.get(this.seqs[i]);
      if (isUnreadForAgents(message)) count += 1;
      expected -= 1;
    }
    return expected === seq ? count : null;
  }

  *messages() {
    for (const seq of this.seqs) yield this.bySeq.get(seq);
  }

  /** Whether a message with this clientId from an agent is stored (to retire its outbox entry). */
  hasClientId(clientId) {
    for (let i = this.seqs.length - 1, n = 0; i >= 0 && n < 400; i -= 1, n += 1) {
      if (this.bySeq.get(this.seqs[i]).clientId === clientId) return true;
    }
    return false;
  }
}

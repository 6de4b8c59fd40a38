/**
 * The workspace store's view of the bot's answers as they are written: `stream` frames grow an
 * answer per conversation until the stored message (same `clientId`) replaces it, a
 * `streamWithdrawn` frame removes it, or the conversation leaves the bot. A stream is shown only
 * from its first piece and while no piece is missed (`offset`); one joined midway waits for the
 * stored answer. Installed on `Store` by store.js.
 */
import { upper } from "./directory.js";

export const streamMethods = {
  onStream(frame) {
    const id = upper(frame.conversationId);
    const current = this.streams.get(id);
    const held = current?.id === frame.streamId ? current : { id: frame.streamId, text: "", scalars: 0 };
    if ((frame.offset ?? held.scalars) !== held.scalars) {
      if (current?.id === frame.streamId) this.dropStream(id);
      return;
    }
    this.streams.set(id, { id: frame.streamId, text: held.text + frame.delta, scalars: held.scalars + [...frame.delta].length });
    this.emit("stream", { conversationId: id });
  },

  onStreamWithdrawn(frame) {
    const id = upper(frame.conversationId);
    if (this.streams.get(id)?.id === frame.streamId) this.dropStream(id);
  },

  /** The answer being written in a conversation: {id, text}, or undefined. */
  streamOf(conversationId) {
    return this.streams.get(upper(conversationId));
  },

  dropStream(conversationId, streamId) {
    const id = upper(conversationId);
    const current = this.streams.get(id);
    if (!current || (streamId && current.id !== streamId)) return;
    this.streams.delete(id);
    this.emit("stream", { conversationId: id });
  },
};

-- One bot answer per conversation across nodes: the node writing one holds a lease on the
-- conversation (renewed while it writes), and a node whose visitor wrote meanwhile leaves the
-- question to it — the holder looks for newer questions before it lets go. A lease whose node
-- died runs out, and the waiting node answers then.
ALTER TABLE conversations
    ADD COLUMN bot_lease_node text,
    ADD COLUMN bot_lease_until timestamptz;

-- An agent may choose to be offline while connected (the `presence` frame's "offline"): offered
-- nothing and shown offline, but their socket stays. Heartbeats bring back agents who were marked
-- offline because their sockets closed, never those who chose it.
ALTER TABLE agent_presence ADD COLUMN offline_by_choice boolean NOT NULL DEFAULT false;

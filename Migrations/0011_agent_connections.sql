-- Which nodes hold an agent's sockets. An agent goes offline when the last node holding one of
-- their sockets lets go, not when any node does (an agent with a tab on each of two nodes who
-- closes one stays online). Each node refreshes its rows with its presence heartbeat; rows of a
-- node that died go stale and are ignored after the presence expiry.
CREATE TABLE agent_connections (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    node_id text NOT NULL CHECK (length(node_id) BETWEEN 1 AND 64),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, node_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
SELECT kefu_isolate_tenant('agent_connections');

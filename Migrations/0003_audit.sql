-- The tamper-evident audit log: per tenant, a hash chain of every security event and admin
-- change. The serving role may only read and append; the database refuses UPDATE and DELETE.

CREATE TABLE audit_log (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    seq bigint NOT NULL CHECK (seq > 0),
    occurred_at timestamptz NOT NULL,
    actor_type text NOT NULL CHECK (actor_type IN ('user', 'token', 'system')),
    actor_id uuid,
    ip text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT '',
    action text NOT NULL CHECK (action ~ '^[a-z0-9_.]+$'),
    target_type text NOT NULL DEFAULT '',
    target_id text NOT NULL DEFAULT '',
    -- Canonical JSON (see docs/audit.md), stored as the exact text that was hashed.
    changes text NOT NULL DEFAULT '{}',
    prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tenant_id, seq)
);
SELECT kefu_isolate_tenant('audit_log');
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM kefu_app;
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, seq);

CREATE FUNCTION kefu_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION kefu_audit_append_only();

-- The head of each tenant's chain. Appends lock this row, so they are serialised per tenant
-- and never by a global lock.
CREATE TABLE audit_heads (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    seq bigint NOT NULL,
    hash bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tenant_id)
);
SELECT kefu_isolate_tenant('audit_heads');
REVOKE DELETE ON audit_heads FROM kefu_app;

-- Signed checkpoints: a tenant's head (seq, hash) signed with the server's Ed25519 key.
CREATE TABLE audit_checkpoints (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    seq bigint NOT NULL,
    hash bytea NOT NULL CHECK (length(hash) = 32),
    signature bytea NOT NULL,
    public_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, seq)
);
SELECT kefu_isolate_tenant('audit_checkpoints');
REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM kefu_app;

-- Chains for tenants created before this migration.
INSERT INTO audit_heads (tenant_id, seq, hash)
    SELECT id, 0, decode(repeat('00', 32), 'hex') FROM tenants;

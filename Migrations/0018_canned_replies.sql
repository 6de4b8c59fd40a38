-- Canned replies: a shortcut an agent types after "/" in the composer, and the text it inserts
-- (with variables such as {{visitor.name}} filled in by the workspace). For the whole tenant, or
-- for one team (its members see it beside the tenant's).
CREATE TABLE canned_replies (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    shortcut text NOT NULL CHECK (length(shortcut) BETWEEN 1 AND 32),
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    team_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX canned_replies_shortcut ON canned_replies (tenant_id, coalesce(team_id, '00000000-0000-0000-0000-000000000000'), lower(shortcut));
CREATE INDEX canned_replies_created ON canned_replies (tenant_id, created_at, id);
SELECT kefu_isolate_tenant('canned_replies');

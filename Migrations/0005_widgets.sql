-- Chat widgets: how a tenant's website embeds the visitor chat.

CREATE TABLE widgets (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- Public: embedded in the site's page. Carries the tenant id, so the visitor socket can open
    -- the tenant's scope before looking the widget up.
    public_key text NOT NULL,
    -- Secret: the site signs its user ids with it (HMAC-SHA256) to prove a visitor's identity.
    identity_secret text NOT NULL,
    allowed_origins text[] NOT NULL,
    greeting text NOT NULL DEFAULT '' CHECK (length(greeting) <= 500),
    business_hours jsonb,
    offline_behavior text NOT NULL DEFAULT 'leave_message' CHECK (offline_behavior IN ('leave_message', 'hide')),
    team_id uuid,
    theme_color text NOT NULL DEFAULT '#1f6feb' CHECK (theme_color ~ '^#[0-9a-f]{6}$'),
    pre_chat_fields jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, public_key),
    FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id)
);
CREATE INDEX widgets_created ON widgets (tenant_id, created_at, id);
SELECT kefu_isolate_tenant('widgets');

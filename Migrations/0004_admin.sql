-- Administration: API tokens, two-factor authentication (TOTP and recovery codes) and the
-- tenant's security settings.

-- API tokens act for the user who created them, limited to the permissions they name (and
-- never more than that user still has). Only the SHA-256 of a token is stored.
CREATE TABLE api_tokens (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash bytea NOT NULL,
    permissions text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
SELECT kefu_isolate_tenant('api_tokens');

-- TOTP (RFC 6238). `totp_pending_secret` holds an enrolment until its first code confirms it;
-- `totp_last_step` is the last accepted time step, so a code is never accepted twice.
ALTER TABLE users
    ADD COLUMN totp_secret bytea,
    ADD COLUMN totp_pending_secret bytea,
    ADD COLUMN totp_enabled_at timestamptz,
    ADD COLUMN totp_last_step bigint;

-- Single-use recovery codes, stored as SHA-256.
CREATE TABLE recovery_codes (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (tenant_id, user_id, code_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
SELECT kefu_isolate_tenant('recovery_codes');

-- When set, users whose role holds an administrative permission must enrol in 2FA before
-- those permissions take effect.
ALTER TABLE tenant_settings
    ADD COLUMN require_two_factor_for_admins boolean NOT NULL DEFAULT false;

-- Keyset pagination over users, roles and teams in creation order.
CREATE INDEX users_created ON users (tenant_id, created_at, id);
CREATE INDEX roles_created ON roles (tenant_id, created_at, id);
CREATE INDEX teams_created ON teams (tenant_id, created_at, id);
CREATE INDEX api_tokens_created ON api_tokens (tenant_id, created_at, id) WHERE revoked_at IS NULL;

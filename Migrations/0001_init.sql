-- Kefu's foundation: the restricted serving role, tenants, and the row-level security
-- pattern every tenant-owned table follows.

-- The serving role. Kefu's serving connections assume it at start; it owns nothing,
-- is not a superuser and cannot bypass row-level security. Roles are cluster-wide, so a
-- concurrent first migration in another database may create it first.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kefu_app') THEN
        BEGIN
            CREATE ROLE kefu_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;

-- The migrating user must be able to assume the serving role.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'kefu_app', 'MEMBER') THEN
        EXECUTE format('GRANT kefu_app TO %I', current_user);
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO kefu_app;
GRANT SELECT ON schema_migrations TO kefu_app;

-- The tenant of the current transaction, or NULL when none is set: policies compare
-- tenant_id with it, so a query without a tenant matches no rows.
CREATE FUNCTION kefu_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON tenants TO kefu_app;

-- Per-tenant settings. Later migrations add columns as features need them.
CREATE TABLE tenant_settings (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    locale text NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN', 'en')),
    time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_settings
    USING (tenant_id = kefu_current_tenant())
    WITH CHECK (tenant_id = kefu_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_settings TO kefu_app;

-- A tenant's LLM providers: where its bot's answers come from. The API key is stored sealed
-- (`api_key_sealed`, `api_key_key_id`, see SecretColumn); only its last four characters are kept
-- in the clear, to tell keys apart.
CREATE TABLE llm_providers (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind text NOT NULL CHECK (kind IN ('openai-compatible', 'azure-openai', 'dify')),
    base_url text NOT NULL CHECK (length(base_url) BETWEEN 1 AND 2048),
    model text NOT NULL DEFAULT '' CHECK (length(model) <= 200),
    deployment text NOT NULL DEFAULT '' CHECK (length(deployment) <= 200),
    api_version text NOT NULL DEFAULT '' CHECK (length(api_version) <= 50),
    api_key_sealed bytea,
    api_key_key_id text,
    api_key_last4 text NOT NULL DEFAULT '',
    system_prompt text NOT NULL DEFAULT '' CHECK (length(system_prompt) <= 20000),
    temperature double precision NOT NULL DEFAULT 0.3 CHECK (temperature BETWEEN 0 AND 2),
    max_tokens integer NOT NULL DEFAULT 800 CHECK (max_tokens BETWEEN 1 AND 32000),
    connect_timeout_ms integer NOT NULL DEFAULT 5000 CHECK (connect_timeout_ms BETWEEN 100 AND 60000),
    first_token_timeout_ms integer NOT NULL DEFAULT 15000 CHECK (first_token_timeout_ms BETWEEN 100 AND 120000),
    total_timeout_ms integer NOT NULL DEFAULT 60000 CHECK (total_timeout_ms BETWEEN 100 AND 600000),
    max_bot_turns integer NOT NULL DEFAULT 10 CHECK (max_bot_turns BETWEEN 1 AND 100),
    handoff_keywords text[] NOT NULL DEFAULT '{人工,转人工,human,agent}',
    fallback_provider_id uuid,
    max_concurrent integer NOT NULL DEFAULT 20 CHECK (max_concurrent BETWEEN 1 AND 1000),
    requests_per_minute integer NOT NULL DEFAULT 600 CHECK (requests_per_minute BETWEEN 1 AND 100000),
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (fallback_provider_id IS DISTINCT FROM id),
    CHECK ((api_key_sealed IS NULL) = (api_key_key_id IS NULL))
);
CREATE UNIQUE INDEX llm_providers_default ON llm_providers (tenant_id) WHERE is_default;
CREATE INDEX llm_providers_created ON llm_providers (tenant_id, created_at, id);
SELECT kefu_isolate_tenant('llm_providers');

-- A widget may put its visitors' new conversations with the bot first: its own provider, or the
-- tenant's default. Outside business hours the bot keeps answering (`answer`), or the widget's
-- offline behaviour applies as without a bot (`offline`).
ALTER TABLE widgets
    ADD COLUMN bot_enabled boolean NOT NULL DEFAULT false,
    ADD COLUMN bot_provider_id uuid,
    ADD COLUMN bot_outside_hours text NOT NULL DEFAULT 'answer' CHECK (bot_outside_hours IN ('answer', 'offline'));

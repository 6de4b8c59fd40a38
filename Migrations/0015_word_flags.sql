-- Messages a `flag` rule matched, for review. The message itself stays in `messages` (stored as
-- written); a flag points at it by conversation and seq. Written in the writer's transaction, so
-- a flagged message is never stored without its flag.
CREATE TABLE word_flags (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    conversation_id uuid NOT NULL,
    message_seq bigint NOT NULL,
    message_id uuid NOT NULL,
    sender_type text NOT NULL CHECK (sender_type IN ('visitor', 'agent', 'bot')),
    sender_id uuid,
    rule_ids uuid[] NOT NULL,
    categories text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'confirmed')),
    reviewed_by uuid,
    reviewed_at timestamptz,
    review_note text CHECK (length(review_note) <= 1000),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX word_flags_created ON word_flags (tenant_id, created_at, id);
CREATE INDEX word_flags_open ON word_flags (tenant_id, created_at, id) WHERE status = 'open';
SELECT kefu_isolate_tenant('word_flags');

-- The writer's flags for one batch, many tenants at once (as `kefu_append_messages`): row-level
-- security checks every row against the tenant switched to.
CREATE FUNCTION kefu_record_word_flags(
    p_tenant uuid[], p_conversation uuid[], p_seq bigint[], p_message uuid[], p_sender_type text[], p_sender text[],
    p_rules text[], p_categories text[]
) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    current_tenant uuid;
BEGIN
    FOR current_tenant IN SELECT DISTINCT t FROM unnest(p_tenant) AS t ORDER BY 1 LOOP
        PERFORM set_config('app.tenant_id', current_tenant::text, true);
        INSERT INTO word_flags (tenant_id, conversation_id, message_seq, message_id, sender_type, sender_id, rule_ids, categories)
        SELECT current_tenant, u.c, u.q, u.m, u.st, NULLIF(u.s, '')::uuid, string_to_array(u.r, ' ')::uuid[], string_to_array(u.k, E'\n')
        FROM unnest(p_tenant, p_conversation, p_seq, p_message, p_sender_type, p_sender, p_rules, p_categories)
            AS u(t, c, q, m, st, s, r, k)
        WHERE u.t = current_tenant;
    END LOOP;
END
$$;

-- Every node rebuilds a tenant's matcher when its rules change, whoever changed them (the API,
-- an import, or SQL by hand): one notification per statement, on the channel nodes listen on,
-- in the fan-out format (`w<node>;<tenant>`, see FanoutEvent). The node that made the change
-- names itself in `kefu.node` and skips the notice; by hand it is `-`, which every node acts on.
CREATE FUNCTION kefu_word_rules_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('kefu', 'w' || coalesce(nullif(current_setting('kefu.node', true), ''), '-') || ';' || t.tenant_id::text)
    FROM (SELECT DISTINCT tenant_id FROM changed_rules) t;
    RETURN NULL;
END
$$;

CREATE TRIGGER word_rules_inserted AFTER INSERT ON word_rules
    REFERENCING NEW TABLE AS changed_rules FOR EACH STATEMENT EXECUTE FUNCTION kefu_word_rules_changed();
CREATE TRIGGER word_rules_updated AFTER UPDATE ON word_rules
    REFERENCING NEW TABLE AS changed_rules FOR EACH STATEMENT EXECUTE FUNCTION kefu_word_rules_changed();
CREATE TRIGGER word_rules_deleted AFTER DELETE ON word_rules
    REFERENCING OLD TABLE AS changed_rules FOR EACH STATEMENT EXECUTE FUNCTION kefu_word_rules_changed();

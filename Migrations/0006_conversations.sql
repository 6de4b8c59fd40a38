-- Conversations: visitors, conversations, messages and their attachments, agents' presence,
-- and the batch append that the group-commit writer calls.

-- How a tenant runs its conversations.
ALTER TABLE tenant_settings
    ADD COLUMN assignment_mode text NOT NULL DEFAULT 'least_busy' CHECK (assignment_mode IN ('least_busy', 'round_robin')),
    ADD COLUMN max_message_bytes integer NOT NULL DEFAULT 4096 CHECK (max_message_bytes BETWEEN 64 AND 65536),
    ADD COLUMN auto_resolve_minutes integer NOT NULL DEFAULT 1440 CHECK (auto_resolve_minutes BETWEEN 0 AND 525600),
    ADD COLUMN reopen_window_minutes integer NOT NULL DEFAULT 1440 CHECK (reopen_window_minutes BETWEEN 0 AND 525600);

-- A person chatting from a widget. `external_id` is set only by a verified identity (the site's
-- own user id, signed with the widget's identity secret).
CREATE TABLE visitors (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    widget_id uuid NOT NULL,
    -- The SHA-256 of the visitor's opaque token (kfv_…), which keeps them across page loads.
    token_hash bytea NOT NULL,
    external_id text CHECK (length(external_id) <= 200),
    name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    email text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    phone text NOT NULL DEFAULT '' CHECK (length(phone) <= 50),
    attributes jsonb NOT NULL DEFAULT '{}',
    page_url text NOT NULL DEFAULT '' CHECK (length(page_url) <= 2048),
    referrer text NOT NULL DEFAULT '' CHECK (length(referrer) <= 2048),
    user_agent text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512),
    language text NOT NULL DEFAULT '' CHECK (length(language) <= 35),
    ip text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, widget_id) REFERENCES widgets (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX visitors_external ON visitors (tenant_id, widget_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX visitors_seen ON visitors (tenant_id, last_seen_at, id);
SELECT kefu_isolate_tenant('visitors');

-- `last_seq` is the highest message seq; the writer raises it in the same transaction as the
-- insert, so seqs have no gaps. Read positions are per side.
CREATE TABLE conversations (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    widget_id uuid NOT NULL,
    visitor_id uuid NOT NULL,
    team_id uuid,
    assignee_id uuid,
    status text NOT NULL CHECK (status IN ('bot', 'queued', 'open', 'pending', 'snoozed', 'resolved')),
    last_seq bigint NOT NULL DEFAULT 0,
    visitor_read_seq bigint NOT NULL DEFAULT 0,
    agent_read_seq bigint NOT NULL DEFAULT 0,
    queued_at timestamptz,
    assigned_at timestamptz,
    resolved_at timestamptz,
    snoozed_until timestamptz,
    last_message_at timestamptz,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    csat_rating smallint CHECK (csat_rating BETWEEN 1 AND 5),
    csat_comment text CHECK (length(csat_comment) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, visitor_id) REFERENCES visitors (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, widget_id) REFERENCES widgets (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id) ON DELETE SET NULL (team_id),
    FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL (assignee_id),
    CHECK (status <> 'open' OR assignee_id IS NOT NULL)
);
CREATE INDEX conversations_created ON conversations (tenant_id, created_at, id);
CREATE INDEX conversations_queue ON conversations (tenant_id, queued_at, id) WHERE status = 'queued';
CREATE INDEX conversations_assignee ON conversations (tenant_id, assignee_id) WHERE status IN ('open', 'pending', 'snoozed');
CREATE INDEX conversations_visitor ON conversations (tenant_id, visitor_id, created_at);
CREATE INDEX conversations_activity ON conversations (tenant_id, last_activity_at) WHERE status <> 'resolved';
SELECT kefu_isolate_tenant('conversations');

-- Uploaded images and files, kept in PostgreSQL with everything else.
CREATE TABLE attachments (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    conversation_id uuid NOT NULL,
    uploader_type text NOT NULL CHECK (uploader_type IN ('visitor', 'agent')),
    uploader_id uuid NOT NULL,
    file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    byte_count integer NOT NULL,
    sha256 bytea NOT NULL,
    data bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
SELECT kefu_isolate_tenant('attachments');

-- `client_key` (sender and the sender's client message id) makes a retried send a duplicate.
CREATE TABLE messages (
    tenant_id uuid NOT NULL,
    conversation_id uuid NOT NULL,
    seq bigint NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    sender_type text NOT NULL CHECK (sender_type IN ('visitor', 'agent', 'bot', 'system')),
    sender_id uuid,
    kind text NOT NULL CHECK (kind IN ('text', 'attachment', 'note', 'event')),
    body text NOT NULL,
    client_key text,
    attachment_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, conversation_id, seq),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX messages_client_key ON messages (tenant_id, conversation_id, client_key) WHERE client_key IS NOT NULL;
SELECT kefu_isolate_tenant('messages');

-- Agents' availability, shared by every node. A row whose heartbeat is older than the expiry
-- counts as offline wherever it is read.
CREATE TABLE agent_presence (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('online', 'away', 'offline')),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    online_since timestamptz NOT NULL DEFAULT now(),
    last_assigned_at timestamptz,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
SELECT kefu_isolate_tenant('agent_presence');

-- Appends a batch of messages from many tenants and conversations in one round trip. For each
-- tenant it switches `app.tenant_id` (row-level security still checks every row), locks the
-- batch's conversations in id order (so writers on other nodes serialise per conversation
-- without deadlocks), skips sends whose client key is already stored (returned as duplicates,
-- with the stored seq), numbers the rest after `last_seq`, and announces the new positions with
-- as few NOTIFYs as fit (ids only, well under PostgreSQL's 8000-byte payload limit).
-- Optional values travel as '' in the text arrays (client key, sender, attachment).
CREATE FUNCTION kefu_append_messages(
    p_tenant uuid[], p_conversation uuid[], p_client_key text[], p_sender_type text[], p_sender text[],
    p_kind text[], p_body text[], p_attachment text[], p_node text
) RETURNS TABLE (ordinal integer, message_id uuid, message_seq bigint, message_created_at timestamptz, duplicate boolean)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
    current_tenant uuid;
    entry text;
    notice text := '';
BEGIN
    FOR current_tenant IN SELECT DISTINCT t FROM unnest(p_tenant) AS t ORDER BY 1 LOOP
        PERFORM set_config('app.tenant_id', current_tenant::text, true);
        PERFORM 1 FROM conversations c
            WHERE c.tenant_id = current_tenant
              AND c.id IN (SELECT u.c FROM unnest(p_tenant, p_conversation) AS u(t, c) WHERE u.t = current_tenant)
            ORDER BY c.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
            SELECT u.ord::integer AS ord, u.c, NULLIF(u.k, '') AS k, u.st, NULLIF(u.s, '')::uuid AS s, u.kd, u.b,
                NULLIF(u.a, '')::uuid AS a
            FROM unnest(p_tenant, p_conversation, p_client_key, p_sender_type, p_sender, p_kind, p_body, p_attachment)
                WITH ORDINALITY AS u(t, c, k, st, s, kd, b, a, ord)
            WHERE u.t = current_tenant
        ), existing AS (
            SELECT i.ord, m.id, m.seq, m.created_at FROM input i
            JOIN messages m ON m.tenant_id = current_tenant AND m.conversation_id = i.c AND m.client_key = i.k
        ), fresh AS (
            SELECT i.*, c.last_seq + row_number() OVER (PARTITION BY i.c ORDER BY i.ord) AS next_seq
            FROM input i JOIN conversations c ON c.tenant_id = current_tenant AND c.id = i.c
            WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.ord = i.ord)
        ), inserted AS (
            INSERT INTO messages (tenant_id, conversation_id, seq, sender_type, sender_id, kind, body, client_key, attachment_id)
            SELECT current_tenant, f.c, f.next_seq, f.st, f.s, f.kd, f.b, f.k, f.a FROM fresh f
            RETURNING messages.conversation_id, messages.seq, messages.id, messages.created_at
        ), bumped AS (
            UPDATE conversations c
            SET last_seq = x.top, last_message_at = now(), last_activity_at = now(), updated_at = now()
            FROM (SELECT f.c, max(f.next_seq) AS top FROM fresh f GROUP BY f.c) x
            WHERE c.tenant_id = current_tenant AND c.id = x.c
            RETURNING c.id
        )
        SELECT f.ord, n.id, n.seq, n.created_at, false
            FROM fresh f JOIN inserted n ON n.conversation_id = f.c AND n.seq = f.next_seq
        UNION ALL
        SELECT e.ord, e.id, e.seq, e.created_at, true FROM existing e;

        FOR entry IN
            SELECT current_tenant::text || ' ' || c.id::text || ' ' || c.last_seq::text
            FROM conversations c
            WHERE c.tenant_id = current_tenant
              AND c.id IN (SELECT u.c FROM unnest(p_tenant, p_conversation) AS u(t, c) WHERE u.t = current_tenant)
        LOOP
            IF length(notice) + length(entry) > 7000 THEN
                PERFORM pg_notify('kefu', 'm' || p_node || notice);
                notice := '';
            END IF;
            notice := notice || ';' || entry;
        END LOOP;
    END LOOP;
    IF notice <> '' THEN
        PERFORM pg_notify('kefu', 'm' || p_node || notice);
    END IF;
END
$$;

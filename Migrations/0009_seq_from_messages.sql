-- A conversation's last seq and last message time are read from its messages (the primary key
-- ends in seq, so each is one backward index probe) instead of being kept on the conversation
-- row. Updating that row on every append rewrote a few hundred bytes per message; at thousands
-- of messages a second the dead versions outran pruning, lookups walked ever longer chains and
-- the writer slowed down until it fell behind for good. Appends now only insert, and lock the
-- conversation rows (no new row versions) to number each conversation's messages alone.
--
-- Nothing looks a message up by its id alone, so that index goes too (one random-uuid b-tree
-- insert per message less).

CREATE FUNCTION kefu_conversation_last_seq(p_tenant uuid, p_conversation uuid) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(max(m.seq), 0) FROM messages m WHERE m.tenant_id = p_tenant AND m.conversation_id = p_conversation
$$;

CREATE FUNCTION kefu_conversation_last_message_at(p_tenant uuid, p_conversation uuid) RETURNS timestamptz
    LANGUAGE sql STABLE
    AS $$
    SELECT m.created_at FROM messages m WHERE m.tenant_id = p_tenant AND m.conversation_id = p_conversation
    ORDER BY m.seq DESC LIMIT 1
$$;

ALTER TABLE conversations DROP COLUMN last_seq, DROP COLUMN last_message_at;
ALTER TABLE messages DROP CONSTRAINT messages_tenant_id_id_key;

DROP FUNCTION kefu_append_messages(uuid[], uuid[], text[], text[], text[], text[], text[], text[], text);

CREATE FUNCTION kefu_append_messages(
    p_tenant uuid[], p_conversation uuid[], p_client_key text[], p_sender_type text[], p_sender text[],
    p_kind text[], p_body text[], p_attachment text[], p_node text
) RETURNS TABLE (ordinal integer, message_id uuid, message_seq bigint, message_created_at timestamptz, duplicate boolean,
                 conversation_status text)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
    current_tenant uuid;
    notice text;
BEGIN
    FOR current_tenant IN SELECT DISTINCT t FROM unnest(p_tenant) AS t ORDER BY 1 LOOP
        PERFORM set_config('app.tenant_id', current_tenant::text, true);
        -- In id order, so two writers never deadlock; from here on only this transaction
        -- numbers these conversations' messages.
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
        ), target AS (
            SELECT c.id, c.status,
                coalesce((SELECT max(m.seq) FROM messages m WHERE m.tenant_id = current_tenant AND m.conversation_id = c.id), 0) AS last_seq
            FROM conversations c
            WHERE c.tenant_id = current_tenant AND c.id IN (SELECT i.c FROM input i)
        ), existing AS (
            SELECT i.ord, i.c, m.id, m.seq, m.created_at FROM input i
            JOIN messages m ON m.tenant_id = current_tenant AND m.conversation_id = i.c AND m.client_key = i.k
        ), fresh AS (
            -- Ids are made here, so the result needs no join back to the inserted rows.
            SELECT i.*, gen_random_uuid() AS id, t.last_seq + row_number() OVER (PARTITION BY i.c ORDER BY i.ord) AS next_seq, t.status
            FROM input i JOIN target t ON t.id = i.c
            WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.ord = i.ord)
        ), inserted AS (
            INSERT INTO messages (tenant_id, conversation_id, seq, id, sender_type, sender_id, kind, body, client_key, attachment_id, created_at)
            SELECT current_tenant, f.c, f.next_seq, f.id, f.st, f.s, f.kd, f.b, f.k, f.a, now() FROM fresh f
        )
        SELECT f.ord, f.id, f.next_seq, now(), false, f.status FROM fresh f
        UNION ALL
        SELECT e.ord, e.id, e.seq, e.created_at, true, t.status FROM existing e JOIN target t ON t.id = e.c;

        -- One NOTIFY per ~7,000 bytes of "tenant conversation last_seq" entries (payloads stop at 8,000).
        FOR notice IN
            SELECT string_agg(x.entry, ';') FROM (
                SELECT e.entry, sum(length(e.entry) + 1) OVER (ORDER BY e.entry) / 7000 AS chunk FROM (
                    SELECT current_tenant::text || ' ' || c.id::text || ' '
                        || coalesce((SELECT max(m.seq) FROM messages m WHERE m.tenant_id = current_tenant AND m.conversation_id = c.id), 0)::text
                        AS entry
                    FROM conversations c
                    WHERE c.tenant_id = current_tenant
                      AND c.id IN (SELECT u.c FROM unnest(p_tenant, p_conversation) AS u(t, c) WHERE u.t = current_tenant)
                ) e
            ) x GROUP BY x.chunk
        LOOP
            PERFORM pg_notify('kefu', 'm' || p_node || ';' || notice);
        END LOOP;
    END LOOP;
END
$$;

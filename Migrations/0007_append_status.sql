-- The batch append also reports each conversation's status, so a visitor's message that lands in
-- a conversation resolved a moment ago can reopen it without a read before every send. And it
-- costs less per row: ids made up front (no join back to the inserted rows), conversations
-- updated without touching an indexed column (HOT, with room left on each page), and no
-- per-row foreign-key check from messages (the append locks and joins each message's
-- conversation itself; a statement trigger removes a deleted conversation's messages).

ALTER TABLE messages DROP CONSTRAINT messages_tenant_id_conversation_id_fkey;

-- Removes the messages of deleted conversations, however they were deleted (a widget, a visitor
-- or a tenant going). Row-level security still applies, so it scopes itself to each tenant in
-- turn and then restores the transaction's tenant.
CREATE FUNCTION kefu_delete_conversation_messages() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    previous text := current_setting('app.tenant_id', true);
    gone_tenant uuid;
BEGIN
    FOR gone_tenant IN SELECT DISTINCT tenant_id FROM gone LOOP
        PERFORM set_config('app.tenant_id', gone_tenant::text, true);
        DELETE FROM messages m USING gone g
            WHERE g.tenant_id = gone_tenant AND m.tenant_id = gone_tenant AND m.conversation_id = g.id;
    END LOOP;
    PERFORM set_config('app.tenant_id', coalesce(previous, ''), true);
    RETURN NULL;
END
$$;

CREATE TRIGGER conversations_delete_messages AFTER DELETE ON conversations
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION kefu_delete_conversation_messages();
DROP INDEX conversations_activity;
ALTER TABLE conversations SET (fillfactor = 70);

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
            SELECT i.ord, i.c, m.id, m.seq, m.created_at FROM input i
            JOIN messages m ON m.tenant_id = current_tenant AND m.conversation_id = i.c AND m.client_key = i.k
        ), fresh AS (
            -- Ids are made here, so the result needs no join back to the inserted rows.
            SELECT i.*, gen_random_uuid() AS id, c.last_seq + row_number() OVER (PARTITION BY i.c ORDER BY i.ord) AS next_seq, c.status
            FROM input i JOIN conversations c ON c.tenant_id = current_tenant AND c.id = i.c
            WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.ord = i.ord)
        ), inserted AS (
            INSERT INTO messages (tenant_id, conversation_id, seq, id, sender_type, sender_id, kind, body, client_key, attachment_id, created_at)
            SELECT current_tenant, f.c, f.next_seq, f.id, f.st, f.s, f.kd, f.b, f.k, f.a, now() FROM fresh f
        ), bumped AS (
            -- No indexed column changes here, so the update can stay on its page (HOT).
            UPDATE conversations c
            SET last_seq = x.top, last_message_at = now(), updated_at = now()
            FROM (SELECT f.c, max(f.next_seq) AS top FROM fresh f GROUP BY f.c) x
            WHERE c.tenant_id = current_tenant AND c.id = x.c
        )
        SELECT f.ord, f.id, f.next_seq, now(), false, f.status FROM fresh f
        UNION ALL
        SELECT e.ord, e.id, e.seq, e.created_at, true, c.status
            FROM existing e JOIN conversations c ON c.tenant_id = current_tenant AND c.id = e.c;

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

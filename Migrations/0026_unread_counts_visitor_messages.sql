-- An agent's unread count is the visitor's messages after the agents' read position: events
-- ("Assigned to Li Lei"), private notes and the agents' and the bot's own messages are not
-- unread, so two questions from the visitor show 2, never 3. Counted from the primary key
-- (tenant, conversation, seq), stopping at 1,000: lists show 99+ long before that.
CREATE FUNCTION kefu_conversation_unread(p_tenant uuid, p_conversation uuid, p_after bigint) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$
    SELECT count(*) FROM (
        SELECT 1 FROM messages m
        WHERE m.tenant_id = p_tenant AND m.conversation_id = p_conversation AND m.seq > p_after
          AND m.sender_type = 'visitor' AND m.kind IN ('text', 'attachment')
        LIMIT 1000) AS unread
$$;

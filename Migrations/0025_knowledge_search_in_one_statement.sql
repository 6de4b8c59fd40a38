-- The knowledge search in one statement: the question's terms become a tsquery, then the best
-- chunks (with their document's title) and the best FAQ entries are read with it, all in one
-- round trip instead of three; each round trip is time a visitor waits before the bot's first
-- word. Rows with `is_faq` false are chunks, true are FAQ entries (`body` holds the answer).
--
-- As in 0023 the function runs as the tables' owner with the tenant condition written out, so
-- the GIN indexes serve `@@`. In PL/pgSQL the tsquery is a variable, which the planner sees as a
-- parameter: the index is used (a tsquery computed inside the searching statement hid it, and
-- every chunk was scanned). The titles are read for the best n chunks only, after the LIMIT: a
-- join in the searching statement let the planner walk every document's chunks by primary key
-- and test `@@` on each (50 ms at 10,000 chunks instead of 2).
CREATE FUNCTION kefu_search_knowledge(bigrams text[], rest text, n integer)
    RETURNS TABLE (is_faq boolean, id uuid, ordinal integer, title text, heading text, body text, rank double precision,
                   questions text[])
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
    DECLARE
        q tsquery;
    BEGIN
        SELECT to_tsquery('simple', string_agg('''' || t || '''', ' | ')) INTO q FROM (
            SELECT DISTINCT t FROM (SELECT unnest(bigrams) UNION ALL
                                    SELECT unnest(tsvector_to_array(to_tsvector('english', rest)))) AS x(t)
            WHERE t <> '') AS terms;
        IF q IS NULL THEN
            RETURN;
        END IF;
        RETURN QUERY
            SELECT false, c.document_id, c.ordinal,
                   (SELECT d.title FROM public.knowledge_documents d WHERE d.tenant_id = c.tenant_id AND d.id = c.document_id),
                   c.heading, c.body, c.rank, NULL::text[]
            FROM (SELECT ch.tenant_id, ch.document_id, ch.ordinal, ch.heading, ch.body, ts_rank_cd(ch.search, q)::float8 AS rank
                  FROM public.knowledge_chunks ch
                  WHERE ch.tenant_id = public.kefu_current_tenant() AND ch.search @@ q
                  ORDER BY 6 DESC, ch.document_id, ch.ordinal
                  LIMIT n) AS c
            ORDER BY c.rank DESC, c.document_id, c.ordinal;
        RETURN QUERY
            SELECT true, f.id, NULL::integer, NULL::text, NULL::text, f.answer, ts_rank_cd(f.search, q)::float8, f.questions
            FROM public.faq_entries f
            WHERE f.tenant_id = public.kefu_current_tenant() AND f.enabled AND f.search @@ q
            ORDER BY 7 DESC, f.id
            LIMIT 5;
    END
    $$;

REVOKE ALL ON FUNCTION kefu_search_knowledge(text[], text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kefu_search_knowledge(text[], text, integer) TO kefu_app;

-- Embeddings beside full-text search. A provider with an embedding model embeds its tenant's
-- knowledge (see KnowledgeEmbedder); each chunk keeps its vector as float16 (little-endian) and
-- what made it (`<provider id>/<model>`), so a vector from another model is never compared with
-- a question's. A vector below a provider's similarity floor does not count as a match.
ALTER TABLE llm_providers
    ADD COLUMN embedding_model text NOT NULL DEFAULT '' CHECK (length(embedding_model) <= 200),
    ADD COLUMN embedding_min_similarity double precision NOT NULL DEFAULT 0.45 CHECK (embedding_min_similarity BETWEEN 0 AND 1);

ALTER TABLE knowledge_chunks
    ADD COLUMN embedding bytea,
    ADD COLUMN embedding_source text;

-- A tenant's knowledge generation, bumped by every statement that changes its chunks: nodes
-- keep a tenant's vectors in memory and reload them when this moves.
CREATE TABLE knowledge_state (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    generation bigint NOT NULL DEFAULT 0
);
SELECT kefu_isolate_tenant('knowledge_state');

CREATE FUNCTION kefu_bump_knowledge_generation() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Outside a tenant's transaction (a tenant deleted, its rows cascading) there is nobody to tell.
    IF kefu_current_tenant() IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO knowledge_state (tenant_id, generation) VALUES (kefu_current_tenant(), 1)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = knowledge_state.generation + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER knowledge_chunks_generation AFTER INSERT OR UPDATE OR DELETE ON knowledge_chunks
    FOR EACH STATEMENT EXECUTE FUNCTION kefu_bump_knowledge_generation();

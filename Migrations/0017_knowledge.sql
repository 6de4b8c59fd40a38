-- What a tenant's bot knows: documents (cut into chunks for retrieval) and FAQ entries (several
-- questions, one answer). Search runs on plain PostgreSQL: each row's `search` vector holds CJK
-- text as character bigrams (`simple`) and the rest stemmed (`english`), built by the server
-- (see SearchText), indexed with GIN.
CREATE TABLE knowledge_documents (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    format text NOT NULL CHECK (format IN ('markdown', 'text', 'html')),
    body text NOT NULL CHECK (length(body) <= 2000000),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX knowledge_documents_created ON knowledge_documents (tenant_id, created_at, id);
SELECT kefu_isolate_tenant('knowledge_documents');

CREATE TABLE knowledge_chunks (
    tenant_id uuid NOT NULL,
    document_id uuid NOT NULL,
    ordinal integer NOT NULL,
    heading text NOT NULL,
    body text NOT NULL,
    search tsvector NOT NULL,
    PRIMARY KEY (tenant_id, document_id, ordinal),
    FOREIGN KEY (tenant_id, document_id) REFERENCES knowledge_documents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX knowledge_chunks_search ON knowledge_chunks USING gin (search);
SELECT kefu_isolate_tenant('knowledge_chunks');

CREATE TABLE faq_entries (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    questions text[] NOT NULL CHECK (cardinality(questions) BETWEEN 1 AND 20),
    answer text NOT NULL CHECK (length(answer) BETWEEN 1 AND 5000),
    enabled boolean NOT NULL DEFAULT true,
    search tsvector NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX faq_entries_created ON faq_entries (tenant_id, created_at, id);
CREATE INDEX faq_entries_search ON faq_entries USING gin (search);
SELECT kefu_isolate_tenant('faq_entries');

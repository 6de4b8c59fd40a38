-- A tenant's sensitive-word rules. `pattern_key` is the pattern as the matcher sees it (folded,
-- separators dropped): two patterns with the same key are the same rule.
CREATE TABLE word_rules (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    pattern text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 200),
    pattern_key text NOT NULL CHECK (length(pattern_key) >= 1),
    action text NOT NULL CHECK (action IN ('block', 'mask', 'flag')),
    category text NOT NULL DEFAULT 'default' CHECK (length(category) BETWEEN 1 AND 50),
    senders text[] NOT NULL DEFAULT '{visitor,agent,bot}' CHECK (senders <@ '{visitor,agent,bot}' AND cardinality(senders) >= 1),
    enabled boolean NOT NULL DEFAULT true,
    exceptions text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, pattern_key)
);
CREATE INDEX word_rules_created ON word_rules (tenant_id, created_at, id);
SELECT kefu_isolate_tenant('word_rules');

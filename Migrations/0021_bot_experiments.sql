-- A/B tests between two providers: a provider may send a share of its new bot conversations to
-- another (`split_provider_id`, `split_percent`). Each conversation the bot answers records the
-- provider that answered it and, under a split, the split's owner and its arm; a handoff records
-- its reason. Per-arm results (conversations, handoffs by reason, ratings) are read from these.
ALTER TABLE llm_providers
    ADD COLUMN split_provider_id uuid,
    ADD COLUMN split_percent integer NOT NULL DEFAULT 0 CHECK (split_percent BETWEEN 0 AND 100),
    ADD CHECK (split_provider_id IS DISTINCT FROM id);

ALTER TABLE conversations
    ADD COLUMN bot_provider_id uuid,
    ADD COLUMN bot_experiment_id uuid,
    ADD COLUMN bot_arm text CHECK (bot_arm IN ('a', 'b')),
    ADD COLUMN handoff_reason text CHECK (length(handoff_reason) <= 50),
    ADD CHECK ((bot_experiment_id IS NULL) = (bot_arm IS NULL));
CREATE INDEX conversations_bot_experiment ON conversations (tenant_id, bot_experiment_id, bot_arm) WHERE bot_experiment_id IS NOT NULL;

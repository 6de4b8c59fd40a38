-- Attachments are fetched by capability URL: the SHA-256 of each file's link secret.
ALTER TABLE attachments ADD COLUMN secret_hash bytea NOT NULL;
CREATE INDEX attachments_conversation ON attachments (tenant_id, conversation_id);

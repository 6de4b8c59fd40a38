-- Secrets at rest: TOTP seeds (confirmed and pending) and widget identity secrets are stored
-- sealed with AES-256-GCM under a master key (KEFU_MASTER_KEY, or master.key in the data
-- directory). `<name>_sealed` holds nonce ‖ ciphertext ‖ tag, bound to its tenant, column and
-- row; `<name>_key_id` names the master key that sealed it (8 hex digits of its SHA-256).
--
-- The plaintext columns stay for one reason: a database upgraded from an older version still
-- holds values there. `kefu serve` seals them at start and clears the plaintext column; nothing
-- writes plaintext any more.

ALTER TABLE users
    ADD COLUMN totp_secret_sealed bytea,
    ADD COLUMN totp_secret_key_id text CHECK (totp_secret_key_id ~ '^[0-9a-f]{8}$'),
    ADD COLUMN totp_pending_secret_sealed bytea,
    ADD COLUMN totp_pending_secret_key_id text CHECK (totp_pending_secret_key_id ~ '^[0-9a-f]{8}$'),
    ADD CONSTRAINT users_totp_secret_sealed_with_key CHECK ((totp_secret_sealed IS NULL) = (totp_secret_key_id IS NULL)),
    ADD CONSTRAINT users_totp_pending_secret_sealed_with_key CHECK ((totp_pending_secret_sealed IS NULL) = (totp_pending_secret_key_id IS NULL));

ALTER TABLE widgets
    ALTER COLUMN identity_secret DROP NOT NULL,
    ADD COLUMN identity_secret_sealed bytea,
    ADD COLUMN identity_secret_key_id text CHECK (identity_secret_key_id ~ '^[0-9a-f]{8}$'),
    ADD CONSTRAINT widgets_identity_secret_sealed_with_key CHECK ((identity_secret_sealed IS NULL) = (identity_secret_key_id IS NULL)),
    ADD CONSTRAINT widgets_identity_secret_present CHECK (identity_secret IS NOT NULL OR identity_secret_sealed IS NOT NULL);

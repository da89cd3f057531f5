-- API tokens expire, and say when they were last used (to the minute).
-- Tokens minted before expiry existed get a year from their creation.
ALTER TABLE tokens ADD COLUMN last_used_at BIGINT;
UPDATE tokens SET expires_at = created_at + 31536000 WHERE expires_at IS NULL;

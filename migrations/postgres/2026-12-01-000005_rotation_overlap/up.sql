-- Rotation with an overlap: the previous secret keeps working until old_retires_at (at most two
-- valid secrets per key). Each request records which one it used: old_last_used_at for the old
-- one, secret_first_used_at for the current one's first use.
ALTER TABLE api_keys ADD COLUMN old_key_hash TEXT;
ALTER TABLE api_keys ADD COLUMN old_hint TEXT;
ALTER TABLE api_keys ADD COLUMN old_retires_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN old_last_used_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN secret_first_used_at TIMESTAMP;
CREATE UNIQUE INDEX api_keys_old_key_hash ON api_keys (old_key_hash);
CREATE INDEX api_keys_old_retires_at ON api_keys (old_retires_at) WHERE old_retires_at IS NOT NULL;

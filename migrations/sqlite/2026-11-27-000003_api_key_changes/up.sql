-- A change feed of API keys: every rotate, revoke or edit writes a row in the same transaction,
-- and every server process polls it to drop cached keys (the same process drops them at once).
CREATE TABLE api_key_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);

-- Hashes of secrets replaced by a rotation, so that a caller still using one is told apart (in the
-- key's history) from an unknown key. Never used to authenticate.
CREATE TABLE retired_key_hashes (
    key_hash TEXT PRIMARY KEY NOT NULL,
    key_id BIGINT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    retired_at TIMESTAMP NOT NULL
);

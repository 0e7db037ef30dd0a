DROP INDEX api_keys_ws_created;
ALTER TABLE api_keys DROP COLUMN name_lower, DROP COLUMN purpose_lower;
CREATE INDEX api_keys_ws_created ON api_keys (workspace_id, created_at, id)
    INCLUDE (name, purpose, revoked_at, expires_at, access_level, last_used_at, owner_id);

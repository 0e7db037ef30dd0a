DROP INDEX api_keys_ws_state;
CREATE INDEX api_keys_ws_state ON api_keys (workspace_id, revoked_at, expires_at, access_level, id) INCLUDE (created_at);

-- Counts by status and access read this index alone (no row is visited).
CREATE INDEX api_keys_ws_state ON api_keys (workspace_id, revoked_at, expires_at, access_level, id);

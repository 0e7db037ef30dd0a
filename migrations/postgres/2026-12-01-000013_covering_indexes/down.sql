DROP INDEX api_keys_ws_created;
CREATE INDEX api_keys_ws_created ON api_keys (workspace_id, created_at, id);
DROP INDEX api_keys_ws_name;
CREATE INDEX api_keys_ws_name ON api_keys (workspace_id, (lower(name) COLLATE "C"), id);
DROP INDEX api_keys_ws_state;
CREATE INDEX api_keys_ws_state ON api_keys (workspace_id, revoked_at, expires_at, access_level, id);
ALTER TABLE api_keys RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor);

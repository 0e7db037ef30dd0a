DROP INDEX api_keys_ws_last_used;
CREATE INDEX api_keys_ws_last_used ON api_keys (workspace_id, last_used_at, id);
DROP INDEX api_keys_ws_requests_7d;
CREATE INDEX api_keys_ws_requests_7d ON api_keys (workspace_id, requests_7d, id);
DROP INDEX api_keys_all_last_used;
CREATE INDEX api_keys_all_last_used ON api_keys (last_used_at, id) INCLUDE (workspace_id);
DROP INDEX api_keys_all_requests_7d;
CREATE INDEX api_keys_all_requests_7d ON api_keys (requests_7d, id) INCLUDE (workspace_id);

DROP INDEX api_keys_ws_owner;
CREATE INDEX api_keys_ws_owner ON api_keys (workspace_id, owner_id);
DROP INDEX api_keys_ws_state;

ALTER INDEX api_keys_purpose_trgm RESET (gin_pending_list_limit);
ALTER INDEX api_keys_name_trgm RESET (gin_pending_list_limit);
DROP INDEX api_keys_ws_owner;
CREATE INDEX api_keys_ws_owner ON api_keys (workspace_id, owner_id);
DROP INDEX api_keys_ws_state;

-- The default order's index carries what a search checks (name, purpose), and the state index the
-- default order's value (created_at): a search or "Expiring soon" read in that order walks the
-- index alone, without a lookup of each key's row (measured at 1,000,000 keys: 500 matches of a
-- common word in the biggest workspace, 65 ms with lookups, 7 ms from the index).
DROP INDEX api_keys_ws_created;
CREATE INDEX api_keys_ws_created ON api_keys (workspace_id, created_at, id, name, purpose);
DROP INDEX api_keys_ws_state;
CREATE INDEX api_keys_ws_state ON api_keys (workspace_id, revoked_at, expires_at, access_level, id, created_at);
-- Statistics for the new indexes (dropping an index drops its statistics).
ANALYZE api_keys;

-- The default order's index carries what a search checks (name, purpose), and the state index the
-- default order's value (created_at), so that a search or "Expiring soon" read in that order can
-- be an index-only scan.
DROP INDEX api_keys_ws_created;
CREATE INDEX api_keys_ws_created ON api_keys (workspace_id, created_at, id) INCLUDE (name, purpose);
DROP INDEX api_keys_ws_state;
CREATE INDEX api_keys_ws_state ON api_keys (workspace_id, revoked_at, expires_at, access_level, id) INCLUDE (created_at);
-- Statistics for the new indexes (dropping an index drops its statistics).
ANALYZE api_keys;

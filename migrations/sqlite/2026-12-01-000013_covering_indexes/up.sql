-- The default order's index carries every column a search or a filter checks (name, purpose,
-- status, access, last use, owner), and the state index the default order's value (created_at):
-- the list in that order, searched or filtered, and "Expiring soon" read the index alone, without
-- a lookup of each key's row. Measured at 1,000,000 keys, biggest workspace, 500 matches: a common
-- word 65 ms with lookups, 7-8 ms from the index; "Expired" 53 ms, 3 ms.
DROP INDEX api_keys_ws_created;
CREATE INDEX api_keys_ws_created ON api_keys (workspace_id, created_at, id, name, purpose,
    revoked_at, expires_at, access_level, last_used_at, owner_id);
DROP INDEX api_keys_ws_state;
CREATE INDEX api_keys_ws_state ON api_keys (workspace_id, revoked_at, expires_at, access_level, id, created_at);
-- Statistics for the new indexes (dropping an index drops its statistics).
ANALYZE api_keys;

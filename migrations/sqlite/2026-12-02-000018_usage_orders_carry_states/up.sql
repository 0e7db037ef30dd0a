-- The orders by last use and by most used hold the keys no longer used (revoked, expired, unused)
-- last: a status filter in these orders walks the recently used keys before its first match, in
-- a workspace's index or (for whoever sees every workspace) in the index over every key. These
-- indexes now carry the state, expiry and access level, so that walk reads the index alone
-- instead of each key's row ("Revoked" by last use for the admin of 50 workspaces at 1M keys:
-- 192 -> 19 ms). Not the last use in the most-used indexes: every last-use write of the API would
-- update two more index entries per key. Not the creation time either: with it the last-use
-- indexes cover "Unused", and PostgreSQL's planner counted "Unused" through them, walking the
-- recently used keys (1.5 -> 31 ms). About 14 s at a million keys.
DROP INDEX api_keys_ws_last_used;
CREATE INDEX api_keys_ws_last_used ON api_keys
    (workspace_id, last_used_at, id, revoked_at, expires_at, access_level);
DROP INDEX api_keys_ws_requests_7d;
CREATE INDEX api_keys_ws_requests_7d ON api_keys
    (workspace_id, requests_7d, id, revoked_at, expires_at, access_level);
DROP INDEX api_keys_all_last_used;
CREATE INDEX api_keys_all_last_used ON api_keys
    (last_used_at, id, workspace_id, revoked_at, expires_at, access_level);
DROP INDEX api_keys_all_requests_7d;
CREATE INDEX api_keys_all_requests_7d ON api_keys
    (requests_7d, id, workspace_id, revoked_at, expires_at, access_level);
ANALYZE api_keys;

-- The revoked keys in the orders by last use and by most used, per workspace and over all keys:
-- small partial indexes (about one key in nine at 1M), read directly by "Revoked" in those
-- orders. Revoked keys are no longer used, so those orders hold them last: their keys were read
-- from the state index and sorted (22,000 revoked keys of the owner of 186,000: 20-28 ms), or,
-- past that read's cap (the admin of 50 workspaces), found by walking the recently used keys
-- first. The API writes no last use for a revoked key: these indexes change when a key is
-- revoked, and when a revoked key's week of requests runs out.
CREATE INDEX api_keys_ws_revoked_last_used ON api_keys (workspace_id, last_used_at, id, access_level)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX api_keys_ws_revoked_requests_7d ON api_keys (workspace_id, requests_7d, id, access_level)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX api_keys_all_revoked_last_used ON api_keys (last_used_at, id, workspace_id, access_level)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX api_keys_all_revoked_requests_7d ON api_keys (requests_7d, id, workspace_id, access_level)
    WHERE revoked_at IS NOT NULL;
ANALYZE api_keys;

-- One index per offered sort over every key, with the workspace beside it: for someone who sees
-- every workspace, a page of the list (and "Top keys this week") is one range scan in the sort's
-- order that stops after a page, instead of one arm per workspace merged (50 arms for the admin of
-- 50 workspaces). The workspace is checked on each key read, from the index.
CREATE INDEX api_keys_all_created ON api_keys (created_at, id) INCLUDE (workspace_id);
CREATE INDEX api_keys_all_name ON api_keys ((lower(name) COLLATE "C"), id) INCLUDE (workspace_id);
CREATE INDEX api_keys_all_last_used ON api_keys (last_used_at, id) INCLUDE (workspace_id);
CREATE INDEX api_keys_all_expires ON api_keys (expires_at, id) INCLUDE (workspace_id);
CREATE INDEX api_keys_all_requests_7d ON api_keys (requests_7d, id) INCLUDE (workspace_id);
ANALYZE api_keys;

-- Counts by status and access read this index alone (no row is visited).
CREATE INDEX api_keys_ws_state ON api_keys (workspace_id, revoked_at, expires_at, access_level, id);
-- A person's unrevoked keys in a workspace (Team Members, the offboarding review) are counted
-- from the index alone.
DROP INDEX api_keys_ws_owner;
CREATE INDEX api_keys_ws_owner ON api_keys (workspace_id, owner_id, revoked_at);
-- Statistics for the search indexes, so that the planner knows a workspace holds thousands of
-- keys and one owner's keys in it a few (without them a new index looks as selective as any).
ANALYZE api_keys;
-- Every write to an indexed column of a key (last use included) adds to the trigram indexes'
-- pending lists, which every search reads until they are merged: keep them short.
ALTER INDEX api_keys_name_trgm SET (gin_pending_list_limit = 256);
ALTER INDEX api_keys_purpose_trgm SET (gin_pending_list_limit = 256);

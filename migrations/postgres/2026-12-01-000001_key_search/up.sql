-- A million keys: an index per offered sort, per workspace and per owner, each with id as the
-- tie-breaker, so a page is an index range scan; and trigram indexes over names and purposes.
CREATE INDEX api_keys_ws_created ON api_keys (workspace_id, created_at, id);
CREATE INDEX api_keys_ws_name ON api_keys (workspace_id, (lower(name) COLLATE "C"), id);
CREATE INDEX api_keys_ws_last_used ON api_keys (workspace_id, last_used_at, id);
CREATE INDEX api_keys_ws_expires ON api_keys (workspace_id, expires_at, id);
CREATE INDEX api_keys_owner_created ON api_keys (owner_id, created_at, id);
CREATE INDEX api_keys_owner_name ON api_keys (owner_id, (lower(name) COLLATE "C"), id);
CREATE INDEX api_keys_owner_last_used ON api_keys (owner_id, last_used_at, id);
CREATE INDEX api_keys_owner_expires ON api_keys (owner_id, expires_at, id);
CREATE INDEX api_keys_ws_owner ON api_keys (workspace_id, owner_id);
DROP INDEX api_keys_workspace;

-- Substring search: pg_trgm (a trusted extension: the database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX api_keys_name_trgm ON api_keys USING gin (lower(name) gin_trgm_ops);
CREATE INDEX api_keys_purpose_trgm ON api_keys USING gin (lower(purpose) gin_trgm_ops);

-- Who a workspace's members are, from the workspace side (owner choices, removed owners).
CREATE INDEX memberships_workspace_user ON memberships (workspace_id, user_id);
DROP INDEX memberships_workspace;

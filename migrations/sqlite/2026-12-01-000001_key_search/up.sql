-- A million keys: an index per offered sort, per workspace and per owner, each with id as the
-- tie-breaker, so a page is an index range scan; and a trigram index over names and purposes.
CREATE INDEX api_keys_ws_created ON api_keys (workspace_id, created_at, id);
CREATE INDEX api_keys_ws_name ON api_keys (workspace_id, lower(name), id);
CREATE INDEX api_keys_ws_last_used ON api_keys (workspace_id, last_used_at, id);
CREATE INDEX api_keys_ws_expires ON api_keys (workspace_id, expires_at, id);
CREATE INDEX api_keys_owner_created ON api_keys (owner_id, created_at, id);
CREATE INDEX api_keys_owner_name ON api_keys (owner_id, lower(name), id);
CREATE INDEX api_keys_owner_last_used ON api_keys (owner_id, last_used_at, id);
CREATE INDEX api_keys_owner_expires ON api_keys (owner_id, expires_at, id);
CREATE INDEX api_keys_ws_owner ON api_keys (workspace_id, owner_id);
DROP INDEX api_keys_workspace;

-- Substring search: FTS5 with the trigram tokenizer (case-insensitive), over the keys' own text.
-- Owners and workspaces are matched in their own (small) tables, so renaming one rewrites nothing.
CREATE VIRTUAL TABLE api_keys_search USING fts5(
    name, purpose, content = 'api_keys', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO api_keys_search (api_keys_search) VALUES ('rebuild');
CREATE TRIGGER api_keys_search_insert AFTER INSERT ON api_keys BEGIN
    INSERT INTO api_keys_search (rowid, name, purpose) VALUES (new.id, new.name, new.purpose);
END;
CREATE TRIGGER api_keys_search_delete AFTER DELETE ON api_keys BEGIN
    INSERT INTO api_keys_search (api_keys_search, rowid, name, purpose)
        VALUES ('delete', old.id, old.name, old.purpose);
END;
CREATE TRIGGER api_keys_search_update AFTER UPDATE OF name, purpose ON api_keys BEGIN
    INSERT INTO api_keys_search (api_keys_search, rowid, name, purpose)
        VALUES ('delete', old.id, old.name, old.purpose);
    INSERT INTO api_keys_search (rowid, name, purpose) VALUES (new.id, new.name, new.purpose);
END;

-- Who a workspace's members are, from the workspace side (owner choices, removed owners).
CREATE INDEX memberships_workspace_user ON memberships (workspace_id, user_id);
DROP INDEX memberships_workspace;

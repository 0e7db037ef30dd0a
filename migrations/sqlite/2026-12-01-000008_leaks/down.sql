ALTER TABLE workspaces DROP COLUMN leak_response;
ALTER TABLE api_keys DROP COLUMN leaked_source;
ALTER TABLE api_keys DROP COLUMN leaked_url;
ALTER TABLE api_keys DROP COLUMN leaked_at;

ALTER TABLE workspaces DROP COLUMN max_active_keys;
ALTER TABLE workspaces DROP COLUMN revoke_unused_after_days;
ALTER TABLE workspaces DROP COLUMN max_key_lifetime_days;

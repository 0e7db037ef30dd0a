-- Workspace policies, set by Owners and Admins: a maximum key lifetime (none, 30, 90 or 365 days),
-- revoking keys unused for N days (off by default), and a cap on active keys (500 by default).
ALTER TABLE workspaces ADD COLUMN max_key_lifetime_days INTEGER
    CHECK (max_key_lifetime_days IN (30, 90, 365));
ALTER TABLE workspaces ADD COLUMN revoke_unused_after_days INTEGER
    CHECK (revoke_unused_after_days IN (30, 60, 90, 180, 365));
ALTER TABLE workspaces ADD COLUMN max_active_keys INTEGER NOT NULL DEFAULT 500
    CHECK (max_active_keys BETWEEN 1 AND 100000);

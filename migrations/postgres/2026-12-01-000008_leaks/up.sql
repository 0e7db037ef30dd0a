-- Keys reported public (secret scanning): when, where and by what source; and what a workspace
-- does about it: revoke at once (the default) or flag only.
ALTER TABLE api_keys ADD COLUMN leaked_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN leaked_url TEXT;
ALTER TABLE api_keys ADD COLUMN leaked_source TEXT;
ALTER TABLE workspaces ADD COLUMN leak_response TEXT NOT NULL DEFAULT 'revoke'
    CHECK (leak_response IN ('revoke', 'flag'));
-- A leak is told by email too.
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
    CHECK (kind IN ('expires_7d', 'expires_1d', 'expired', 'overlap_closing', 'revoked_unused', 'leaked'));

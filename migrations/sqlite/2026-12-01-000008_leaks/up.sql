-- Keys reported public (secret scanning): when, where and by what source; and what a workspace
-- does about it: revoke at once (the default) or flag only.
ALTER TABLE api_keys ADD COLUMN leaked_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN leaked_url TEXT;
ALTER TABLE api_keys ADD COLUMN leaked_source TEXT;
ALTER TABLE workspaces ADD COLUMN leak_response TEXT NOT NULL DEFAULT 'revoke'
    CHECK (leak_response IN ('revoke', 'flag'));
-- A leak is told by email too (SQLite changes a CHECK by rebuilding the table).
CREATE TABLE mail_outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('expires_7d', 'expires_1d', 'expired', 'overlap_closing', 'revoked_unused', 'leaked')),
    key_id BIGINT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    due_for TIMESTAMP NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    sent_at TIMESTAMP,
    last_error TEXT,
    UNIQUE (key_id, kind, due_for)
);
INSERT INTO mail_outbox_new SELECT * FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
CREATE INDEX mail_outbox_pending ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

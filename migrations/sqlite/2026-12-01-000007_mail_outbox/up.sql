-- Reminder emails waiting to be sent. One row per key, kind and moment (the expiry or the end of
-- an overlap it is about): enqueuing is an INSERT that does nothing when the row exists, and a
-- sender claims a row (claimed_until) before sending, so each reminder goes out once whatever
-- the number of server processes. Failed sends are retried at next_attempt_at.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('expires_7d', 'expires_1d', 'expired', 'overlap_closing', 'revoked_unused')),
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
CREATE INDEX mail_outbox_pending ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

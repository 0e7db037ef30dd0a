-- The Generate form carries a one-time request id, so that a double submit creates one key.
ALTER TABLE api_keys ADD COLUMN request_id TEXT;
CREATE UNIQUE INDEX api_keys_request_id ON api_keys (request_id);
CREATE INDEX audit_events_subject ON audit_events (subject);

DROP INDEX audit_events_subject;
DROP INDEX api_keys_request_id;
ALTER TABLE api_keys DROP COLUMN request_id;

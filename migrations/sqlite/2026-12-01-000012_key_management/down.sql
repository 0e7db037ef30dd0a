ALTER TABLE api_keys DROP COLUMN created_via;
ALTER TABLE audit_events DROP COLUMN via_app;

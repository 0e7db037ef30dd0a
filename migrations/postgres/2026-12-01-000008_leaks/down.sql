ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
    CHECK (kind IN ('expires_7d', 'expires_1d', 'expired', 'overlap_closing', 'revoked_unused'));
ALTER TABLE workspaces DROP COLUMN leak_response;
ALTER TABLE api_keys DROP COLUMN leaked_source;
ALTER TABLE api_keys DROP COLUMN leaked_url;
ALTER TABLE api_keys DROP COLUMN leaked_at;

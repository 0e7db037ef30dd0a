DROP INDEX api_keys_old_retires_at;
DROP INDEX api_keys_old_key_hash;
ALTER TABLE api_keys DROP COLUMN secret_first_used_at;
ALTER TABLE api_keys DROP COLUMN old_last_used_at;
ALTER TABLE api_keys DROP COLUMN old_retires_at;
ALTER TABLE api_keys DROP COLUMN old_hint;
ALTER TABLE api_keys DROP COLUMN old_key_hash;

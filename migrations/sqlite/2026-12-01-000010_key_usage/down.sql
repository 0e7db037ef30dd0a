DROP INDEX api_keys_used_this_week;
DROP INDEX api_keys_owner_requests_7d;
DROP INDEX api_keys_ws_requests_7d;
ALTER TABLE api_keys DROP COLUMN requests_7d;
DROP TABLE key_usage_daily;

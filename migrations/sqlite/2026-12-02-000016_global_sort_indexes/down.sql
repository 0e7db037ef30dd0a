DROP INDEX api_keys_all_created;
DROP INDEX api_keys_all_name;
DROP INDEX api_keys_all_last_used;
DROP INDEX api_keys_all_expires;
DROP INDEX api_keys_all_requests_7d;

-- Optional restrictions per key: the addresses it may be used from (CIDR ranges, comma-separated,
-- at most 20; NULL for any) and a requests-per-minute limit (NULL for none).
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT;
ALTER TABLE api_keys ADD COLUMN rate_limit_per_minute INTEGER
    CHECK (rate_limit_per_minute BETWEEN 1 AND 100000);

-- Requests per key and UTC day, successful and refused: counted in memory by each server process
-- and added here at most once a minute per key (never a write per request).
CREATE TABLE key_usage_daily (
    key_id BIGINT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    day DATE NOT NULL,
    ok BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day)
);
CREATE INDEX key_usage_daily_day ON key_usage_daily (day, key_id);

-- Successful requests in the last 7 days (today and the 6 days before, UTC), kept on the key so
-- that "Most used (7 days)" and "Top keys this week" are index range scans like the other sorts:
-- set from key_usage_daily when counts are added, and once a day for keys whose week moved on.
ALTER TABLE api_keys ADD COLUMN requests_7d BIGINT NOT NULL DEFAULT 0;
CREATE INDEX api_keys_ws_requests_7d ON api_keys (workspace_id, requests_7d, id);
CREATE INDEX api_keys_owner_requests_7d ON api_keys (owner_id, requests_7d, id);
CREATE INDEX api_keys_used_this_week ON api_keys (id) WHERE requests_7d > 0;

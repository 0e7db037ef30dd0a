DROP TABLE retired_key_hashes;
DROP TABLE api_key_changes;

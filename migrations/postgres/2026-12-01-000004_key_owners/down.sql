DROP TRIGGER key_owners_track ON api_keys;
DROP FUNCTION key_owners_track();
DROP TABLE key_owners;

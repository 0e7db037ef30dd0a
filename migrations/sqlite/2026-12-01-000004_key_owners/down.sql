DROP TRIGGER key_owners_update;
DROP TRIGGER key_owners_delete;
DROP TRIGGER key_owners_insert;
DROP TABLE key_owners;

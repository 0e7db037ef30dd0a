-- How many of each owner's keys in a workspace are Read and Write (revoked or not): with `keys` and
-- `unrevoked`, the list's count for "Read and Write", "Read Only" and "Revoked" comes from here
-- instead of counting keys (a thousand Read and Write keys among a million took 12 ms to count).
ALTER TABLE key_owners ADD COLUMN read_write BIGINT NOT NULL DEFAULT 0;
UPDATE key_owners SET read_write = (
    SELECT count(*) FROM api_keys
    WHERE api_keys.workspace_id = key_owners.workspace_id
      AND api_keys.owner_id = key_owners.owner_id AND api_keys.access_level = 'read_write');
DROP TRIGGER key_owners_insert;
DROP TRIGGER key_owners_delete;
DROP TRIGGER key_owners_update;
CREATE TRIGGER key_owners_insert AFTER INSERT ON api_keys WHEN new.owner_id IS NOT NULL BEGIN
    INSERT INTO key_owners (workspace_id, owner_id, keys, unrevoked, read_write)
        VALUES (new.workspace_id, new.owner_id, 1, new.revoked_at IS NULL,
                new.access_level = 'read_write')
        ON CONFLICT (workspace_id, owner_id)
        DO UPDATE SET keys = keys + 1, unrevoked = unrevoked + excluded.unrevoked,
                      read_write = read_write + excluded.read_write;
END;
CREATE TRIGGER key_owners_delete AFTER DELETE ON api_keys WHEN old.owner_id IS NOT NULL BEGIN
    UPDATE key_owners SET keys = keys - 1, unrevoked = unrevoked - (old.revoked_at IS NULL),
                          read_write = read_write - (old.access_level = 'read_write')
        WHERE workspace_id = old.workspace_id AND owner_id = old.owner_id;
END;
CREATE TRIGGER key_owners_update
    AFTER UPDATE OF owner_id, workspace_id, revoked_at, access_level ON api_keys BEGIN
    UPDATE key_owners SET keys = keys - 1, unrevoked = unrevoked - (old.revoked_at IS NULL),
                          read_write = read_write - (old.access_level = 'read_write')
        WHERE old.owner_id IS NOT NULL AND workspace_id = old.workspace_id
        AND owner_id = old.owner_id;
    INSERT INTO key_owners (workspace_id, owner_id, keys, unrevoked, read_write)
        SELECT new.workspace_id, new.owner_id, 1, new.revoked_at IS NULL,
               new.access_level = 'read_write'
        WHERE new.owner_id IS NOT NULL
        ON CONFLICT (workspace_id, owner_id)
        DO UPDATE SET keys = keys + 1, unrevoked = unrevoked + excluded.unrevoked,
                      read_write = read_write + excluded.read_write;
END;

DROP TRIGGER key_owners_insert;
DROP TRIGGER key_owners_delete;
DROP TRIGGER key_owners_update;
CREATE TRIGGER key_owners_insert AFTER INSERT ON api_keys WHEN new.owner_id IS NOT NULL BEGIN
    INSERT INTO key_owners (workspace_id, owner_id, keys, unrevoked)
        VALUES (new.workspace_id, new.owner_id, 1, new.revoked_at IS NULL)
        ON CONFLICT (workspace_id, owner_id)
        DO UPDATE SET keys = keys + 1, unrevoked = unrevoked + excluded.unrevoked;
END;
CREATE TRIGGER key_owners_delete AFTER DELETE ON api_keys WHEN old.owner_id IS NOT NULL BEGIN
    UPDATE key_owners SET keys = keys - 1, unrevoked = unrevoked - (old.revoked_at IS NULL)
        WHERE workspace_id = old.workspace_id AND owner_id = old.owner_id;
END;
CREATE TRIGGER key_owners_update AFTER UPDATE OF owner_id, workspace_id, revoked_at ON api_keys BEGIN
    UPDATE key_owners SET keys = keys - 1, unrevoked = unrevoked - (old.revoked_at IS NULL)
        WHERE old.owner_id IS NOT NULL AND workspace_id = old.workspace_id
        AND owner_id = old.owner_id;
    INSERT INTO key_owners (workspace_id, owner_id, keys, unrevoked)
        SELECT new.workspace_id, new.owner_id, 1, new.revoked_at IS NULL
        WHERE new.owner_id IS NOT NULL
        ON CONFLICT (workspace_id, owner_id)
        DO UPDATE SET keys = keys + 1, unrevoked = unrevoked + excluded.unrevoked;
END;
ALTER TABLE key_owners DROP COLUMN read_write;

-- Who owns keys where: one row per workspace and owner, kept by triggers. "Owner removed" reads
-- the owners of the visible workspaces here (a few thousand rows at most) instead of skipping
-- through a million keys, and Team Members reads each person's unrevoked keys here.
CREATE TABLE key_owners (
    workspace_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    keys BIGINT NOT NULL DEFAULT 0,
    unrevoked BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, owner_id)
);
INSERT INTO key_owners (workspace_id, owner_id, keys, unrevoked)
    SELECT workspace_id, owner_id, count(*), sum(revoked_at IS NULL)
    FROM api_keys WHERE owner_id IS NOT NULL GROUP BY workspace_id, owner_id;
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

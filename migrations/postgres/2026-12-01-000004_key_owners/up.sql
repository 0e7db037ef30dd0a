-- Who owns keys where: one row per workspace and owner, kept by a trigger. "Owner removed" reads
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
    SELECT workspace_id, owner_id, count(*), count(*) FILTER (WHERE revoked_at IS NULL)
    FROM api_keys WHERE owner_id IS NOT NULL GROUP BY workspace_id, owner_id;
CREATE FUNCTION key_owners_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.owner_id IS NOT NULL THEN
        UPDATE key_owners
            SET keys = keys - 1, unrevoked = unrevoked - (OLD.revoked_at IS NULL)::int
            WHERE workspace_id = OLD.workspace_id AND owner_id = OLD.owner_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.owner_id IS NOT NULL THEN
        INSERT INTO key_owners (workspace_id, owner_id, keys, unrevoked)
            VALUES (NEW.workspace_id, NEW.owner_id, 1, (NEW.revoked_at IS NULL)::int)
            ON CONFLICT (workspace_id, owner_id) DO UPDATE
            SET keys = key_owners.keys + 1, unrevoked = key_owners.unrevoked + EXCLUDED.unrevoked;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER key_owners_track
    AFTER INSERT OR DELETE OR UPDATE OF owner_id, workspace_id, revoked_at ON api_keys
    FOR EACH ROW EXECUTE FUNCTION key_owners_track();

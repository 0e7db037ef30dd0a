-- How many of each owner's keys in a workspace are Read and Write (revoked or not): with `keys` and
-- `unrevoked`, the list's count for "Read and Write", "Read Only" and "Revoked" comes from here
-- instead of counting keys (a thousand Read and Write keys among a million took 12 ms to count).
ALTER TABLE key_owners ADD COLUMN read_write BIGINT NOT NULL DEFAULT 0;
UPDATE key_owners AS o SET read_write = c.n
    FROM (SELECT workspace_id, owner_id, count(*) AS n FROM api_keys
          WHERE owner_id IS NOT NULL AND access_level = 'read_write'
          GROUP BY workspace_id, owner_id) AS c
    WHERE o.workspace_id = c.workspace_id AND o.owner_id = c.owner_id;
CREATE OR REPLACE FUNCTION key_owners_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.owner_id IS NOT NULL THEN
        UPDATE key_owners
            SET keys = keys - 1, unrevoked = unrevoked - (OLD.revoked_at IS NULL)::int,
                read_write = read_write - (OLD.access_level = 'read_write')::int
            WHERE workspace_id = OLD.workspace_id AND owner_id = OLD.owner_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.owner_id IS NOT NULL THEN
        INSERT INTO key_owners (workspace_id, owner_id, keys, unrevoked, read_write)
            VALUES (NEW.workspace_id, NEW.owner_id, 1, (NEW.revoked_at IS NULL)::int,
                    (NEW.access_level = 'read_write')::int)
            ON CONFLICT (workspace_id, owner_id) DO UPDATE
            SET keys = key_owners.keys + 1, unrevoked = key_owners.unrevoked + EXCLUDED.unrevoked,
                read_write = key_owners.read_write + EXCLUDED.read_write;
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER key_owners_track ON api_keys;
CREATE TRIGGER key_owners_track
    AFTER INSERT OR DELETE OR UPDATE OF owner_id, workspace_id, revoked_at, access_level ON api_keys
    FOR EACH ROW EXECUTE FUNCTION key_owners_track();

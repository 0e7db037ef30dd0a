CREATE OR REPLACE FUNCTION key_owners_track() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP TRIGGER key_owners_track ON api_keys;
CREATE TRIGGER key_owners_track
    AFTER INSERT OR DELETE OR UPDATE OF owner_id, workspace_id, revoked_at ON api_keys
    FOR EACH ROW EXECUTE FUNCTION key_owners_track();
ALTER TABLE key_owners DROP COLUMN read_write;

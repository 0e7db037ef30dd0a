DROP TABLE invitations;
ALTER TABLE memberships DROP COLUMN apps_permission;
ALTER TABLE memberships DROP COLUMN api_keys_permission;

-- Per-feature permissions of a member (Owners and Admins have every permission in their workspace).
ALTER TABLE memberships ADD COLUMN api_keys_permission TEXT NOT NULL DEFAULT 'view'
    CHECK (api_keys_permission IN ('none', 'view', 'manage'));
ALTER TABLE memberships ADD COLUMN apps_permission TEXT NOT NULL DEFAULT 'view'
    CHECK (apps_permission IN ('none', 'view', 'manage'));

-- One-time invitation links; only the SHA-256 of the token is stored.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    api_keys_permission TEXT NOT NULL DEFAULT 'view',
    apps_permission TEXT NOT NULL DEFAULT 'view',
    token_hash TEXT NOT NULL UNIQUE,
    invited_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    accepted_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    cancelled_at TIMESTAMP
);
CREATE INDEX invitations_workspace ON invitations (workspace_id);

-- OAuth 2.0 clients (third-party apps), the grants people give them per workspace, one-time
-- authorization codes, and access and refresh tokens. Secrets, codes and tokens are stored only as
-- SHA-256.
CREATE TABLE oauth_clients (
    id BIGSERIAL PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    homepage TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    logo_url TEXT,
    secret_hash TEXT,
    secret_hint TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    secret_rotated_at TIMESTAMP
);

CREATE TABLE oauth_grants (
    id BIGSERIAL PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    client_id BIGINT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    scope TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    last_used_at TIMESTAMP,
    last_used_ip TEXT,
    last_used_user_agent TEXT
);
CREATE INDEX oauth_grants_workspace ON oauth_grants (workspace_id);

CREATE TABLE oauth_codes (
    id BIGSERIAL PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    grant_id BIGINT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE TABLE oauth_tokens (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    grant_id BIGINT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    replaced_at TIMESTAMP
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);

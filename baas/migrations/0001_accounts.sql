-- Tenants (customers), their users and the bearer tokens they hold.
-- Written to run unchanged on SQLite and PostgreSQL.
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    -- argon2id PHC string
    password_hash TEXT NOT NULL,
    -- platform-admin | tenant-admin | tenant-member | auditor
    role TEXT NOT NULL,
    -- NULL for platform-wide users (platform admins, platform auditors)
    tenant_id TEXT REFERENCES tenants (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    -- sha256 (hex) of the bearer secret; the secret itself is never stored
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- session | api
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- NULL: does not expire (API tokens until revoked)
    expires_at BIGINT
);

CREATE INDEX tokens_by_user ON tokens (user_id);

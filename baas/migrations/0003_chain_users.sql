-- Identities the BaaS enrolled in a chain's orgs (it runs the org CAs), and
-- API tokens bound to one of them for the REST gateway.
CREATE TABLE chain_users (
    id TEXT PRIMARY KEY,
    chain_id TEXT NOT NULL REFERENCES chains (id),
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- client | admin
    role TEXT NOT NULL,
    -- certificate serial, hex
    serial TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    -- the private key sealed under the master key (hex of nonce || ciphertext);
    -- NULL when it was handed out at enrollment and not kept
    sealed_key TEXT,
    not_after BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX chain_users_by_chain ON chain_users (chain_id);

ALTER TABLE tokens ADD COLUMN chain_user_id TEXT REFERENCES chain_users (id);

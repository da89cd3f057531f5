-- Channels of a chain besides the one it was created with (the manifest's):
-- each with a subset of the chain's orgs (a JSON array) and the genesis
-- block its nodes were joined with (hex), so the chain's channels and their
-- material live in the database, not only on the nodes.
CREATE TABLE channels (
    chain_id TEXT NOT NULL,
    name TEXT NOT NULL,
    orgs TEXT NOT NULL,
    genesis_hex TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (chain_id, name)
);

-- A chain's material, kept by the BaaS instead of in a directory beside its
-- nodes: the manifest, the genesis block, and each org's CA, admin and
-- client certificates and keys (keys sealed with the master key, bound to
-- the chain and their path). Node homes hold only their own key. Text files
-- are kept as they are, binary ones (the genesis block) as hex.
CREATE TABLE chain_material (
    chain_id TEXT NOT NULL,
    path TEXT NOT NULL,
    encoding TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (chain_id, path)
);

-- Backups of chains: a node's state snapshot and the chain's sealed key
-- material under <data-dir>/backups/<chain>/<backup>/, verified by
-- restoring the snapshot before the backup counts.
CREATE TABLE backups (
    id TEXT PRIMARY KEY,
    chain_id TEXT NOT NULL REFERENCES chains (id),
    node_id TEXT NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs (id),
    -- running | verified | failed
    status TEXT NOT NULL,
    height BIGINT,
    state_hash TEXT,
    bytes BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX backups_by_chain ON backups (chain_id);

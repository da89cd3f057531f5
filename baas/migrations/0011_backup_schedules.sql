-- A chain's backup schedule: a backup every `every_minutes`, keeping the
-- newest `keep` verified scheduled ones (older ones are pruned: files
-- removed, status 'pruned').
CREATE TABLE backup_schedules (
    chain_id TEXT PRIMARY KEY REFERENCES chains (id),
    every_minutes BIGINT NOT NULL,
    keep BIGINT NOT NULL,
    -- NULL: the chain's first peer
    node_id TEXT,
    next_at_ms BIGINT NOT NULL,
    -- why the last due backup did not start, if it did not
    last_error TEXT NOT NULL DEFAULT '',
    set_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

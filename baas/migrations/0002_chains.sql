-- Templates defined through the API, per-tenant quotas, chains, their
-- nodes, and the jobs that create and delete chains (with visible steps).
-- Written to run unchanged on SQLite and PostgreSQL.
CREATE TABLE templates (
    id TEXT PRIMARY KEY,
    -- NULL: offered to every tenant (defined by a platform admin)
    tenant_id TEXT REFERENCES tenants (id),
    name TEXT NOT NULL,
    -- the template as TOML, in the format of config/templates/*.toml
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE quotas (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    max_chains BIGINT NOT NULL,
    max_nodes BIGINT NOT NULL,
    -- thousandths of a core, so the column is an integer on every database
    max_cpu_millis BIGINT NOT NULL,
    max_memory_mb BIGINT NOT NULL,
    max_disk_gb BIGINT NOT NULL
);

CREATE TABLE chains (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    template TEXT NOT NULL,
    -- the template TOML the chain was made from
    spec TEXT NOT NULL,
    consensus TEXT NOT NULL,
    -- totals over the chain's nodes, counted against the tenant's quota
    node_count BIGINT NOT NULL,
    cpu_millis BIGINT NOT NULL,
    memory_mb BIGINT NOT NULL,
    disk_gb BIGINT NOT NULL,
    -- creating | running | failed | deleting | deleted
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);

CREATE INDEX chains_by_tenant ON chains (tenant_id);

CREATE TABLE nodes (
    chain_id TEXT NOT NULL REFERENCES chains (id),
    node_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    -- comma-separated: peer, orderer
    roles TEXT NOT NULL,
    -- running | stopped: what the operator asked for
    desired TEXT NOT NULL,
    -- how its CPU and memory limits are enforced, as last started
    limits TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (chain_id, node_id)
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    chain_id TEXT NOT NULL REFERENCES chains (id),
    -- create | delete
    kind TEXT NOT NULL,
    -- running | succeeded | failed
    status TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);

CREATE INDEX jobs_by_chain ON jobs (chain_id);

CREATE TABLE job_steps (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    idx BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- pending | running | done | failed | skipped
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    started_at BIGINT,
    finished_at BIGINT,
    PRIMARY KEY (job_id, idx)
);

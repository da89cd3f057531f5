-- Monitoring: a sample per node every few seconds (kept for the retention
-- the server is started with), alarms raised by rules over them, and the
-- webhooks alarms are delivered to (HMAC-signed, retried with backoff).
CREATE TABLE node_samples (
    chain_id TEXT NOT NULL,
    node_id TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    -- 1 when its Admin service answered
    up INTEGER NOT NULL,
    height BIGINT,
    -- CPU in tenths of a percent of one core since the previous sample
    cpu_permille BIGINT,
    rss_bytes BIGINT,
    -- the node's directory (ledger, consensus store, logs)
    disk_bytes BIGINT,
    read_bytes BIGINT,
    written_bytes BIGINT
);

CREATE INDEX node_samples_by_chain ON node_samples (chain_id, at_ms);

CREATE TABLE alarms (
    id TEXT PRIMARY KEY,
    chain_id TEXT NOT NULL,
    node_id TEXT NOT NULL,
    -- node-crashed | node-down | height-lag
    rule TEXT NOT NULL,
    -- firing | resolved
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    fired_at_ms BIGINT NOT NULL,
    resolved_at_ms BIGINT
);

CREATE INDEX alarms_by_chain ON alarms (chain_id, status);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    url TEXT NOT NULL,
    -- the HMAC key, sealed with the master key
    secret_sealed TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    alarm_id TEXT NOT NULL,
    event TEXT NOT NULL,
    -- pending | delivered | failed
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    updated_at_ms BIGINT NOT NULL
);

CREATE INDEX deliveries_by_webhook ON webhook_deliveries (webhook_id);

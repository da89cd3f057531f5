-- Metering and billing: what each chain used, per hour and resource class,
-- the price plans, each tenant's plan, and final invoices of past months
-- (kept as issued, so a later price change does not rewrite them).
CREATE TABLE metered_usage (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    chain_id TEXT NOT NULL REFERENCES chains (id),
    -- the hour's start, ms since the epoch (UTC)
    hour_ms BIGINT NOT NULL,
    -- e.g. "1cpu-1024mb": a node's resources in its chain's template
    resource_class TEXT NOT NULL,
    cpu_millis BIGINT NOT NULL,
    memory_mb BIGINT NOT NULL,
    -- time its nodes of this class were running
    node_ms BIGINT NOT NULL,
    -- bytes on disk (its nodes' directories) times seconds
    storage_byte_secs BIGINT NOT NULL,
    -- valid transactions committed
    transactions BIGINT NOT NULL,
    PRIMARY KEY (chain_id, hour_ms, resource_class)
);

CREATE INDEX metered_usage_by_tenant ON metered_usage (tenant_id, hour_ms);

CREATE TABLE price_plans (
    name TEXT PRIMARY KEY,
    currency TEXT NOT NULL,
    -- prices in millionths of the currency unit
    cpu_hour_micros BIGINT NOT NULL,
    memory_gb_hour_micros BIGINT NOT NULL,
    storage_gb_hour_micros BIGINT NOT NULL,
    per_1000_tx_micros BIGINT NOT NULL,
    monthly_base_micros BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

INSERT INTO price_plans VALUES ('standard', 'USD', 40000, 5000, 150, 10000, 0, 0);

ALTER TABLE tenants ADD COLUMN plan TEXT NOT NULL DEFAULT 'standard';

-- NULL: no monthly transaction limit
ALTER TABLE quotas ADD COLUMN max_tx_per_month BIGINT;

CREATE TABLE invoices (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    -- YYYY-MM
    month TEXT NOT NULL,
    -- the invoice as the API returns it (JSON)
    body TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, month)
);

-- Server monitoring and downsampling: the BaaS host's samples, and a
-- resolution on every sample — 0 for a raw one, else the width of the
-- bucket a rollup summarises (raw samples older than the raw window are
-- rolled up into buckets, then deleted).
CREATE TABLE host_samples (
    host TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    resolution_ms BIGINT NOT NULL,
    -- all cores, tenths of a percent of the host
    cpu_permille BIGINT,
    memory_used_bytes BIGINT,
    memory_total_bytes BIGINT,
    disk_used_bytes BIGINT,
    disk_total_bytes BIGINT,
    -- cumulative since boot, every interface
    net_rx_bytes BIGINT,
    net_tx_bytes BIGINT,
    -- the 1-minute load average × 1000
    load1_milli BIGINT
);

CREATE INDEX host_samples_by_time ON host_samples (host, at_ms);

ALTER TABLE node_samples ADD COLUMN resolution_ms BIGINT NOT NULL DEFAULT 0;

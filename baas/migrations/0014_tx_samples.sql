-- Throughput and latency on the chain's charts: each node sample keeps the
-- node's cumulative counters (since its process started) of transactions
-- committed (every validation code) and of its transaction-latency
-- histogram (sum in microseconds, count); rates and means are differences
-- between two samples. A rollup keeps a bucket's highest (its last).
ALTER TABLE node_samples ADD COLUMN tx_committed BIGINT;
ALTER TABLE node_samples ADD COLUMN latency_sum_us BIGINT;
ALTER TABLE node_samples ADD COLUMN latency_count BIGINT;

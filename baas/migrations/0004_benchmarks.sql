-- Benchmarks the BaaS ran against a chain (weft-bench as a library), with
-- their reports kept for the console and for comparison over time.
CREATE TABLE benchmarks (
    id TEXT PRIMARY KEY,
    chain_id TEXT NOT NULL REFERENCES chains (id),
    job_id TEXT NOT NULL REFERENCES jobs (id),
    workload TEXT NOT NULL,
    -- the workload as TOML, as run
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- the report as weft-bench --json and --html write them; NULL until done
    report_json TEXT,
    report_html TEXT
);

CREATE INDEX benchmarks_by_chain ON benchmarks (chain_id);

-- The audit log: every mutating API call, appended in order, each entry
-- hashed with the one before it (hash = SHA-256(prev_hash || the entry's
-- canonical JSON)), so that editing or deleting a row breaks the chain at
-- that row. Rows are only ever inserted.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    -- the caller's username, or '-' when the call carried no valid token
    actor TEXT NOT NULL,
    -- the caller's tenant, if any
    tenant_id TEXT,
    -- method and route template, e.g. 'POST /api/chains/{chain}/nodes'
    action TEXT NOT NULL,
    -- the path as called
    target TEXT NOT NULL,
    -- the HTTP status answered
    status INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE INDEX audit_by_time ON audit_log (at_ms);

-- weft-node builds a platform admin registered for rolling upgrades, and
-- which build each chain and node runs (NULL: the server's own
-- --node-binary, shown as "bundled").
CREATE TABLE node_builds (
    version TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    -- hex SHA-256 of the file when registered; an upgrade refuses a file
    -- that changed since
    sha256 TEXT NOT NULL,
    -- what `<path> --version` printed
    reports TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);

ALTER TABLE chains ADD COLUMN node_build TEXT;
ALTER TABLE nodes ADD COLUMN build TEXT;

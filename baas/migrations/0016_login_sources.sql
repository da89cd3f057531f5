-- Lockouts count failed logins per username *and* source address, so a
-- stranger's failures cannot lock an account's owner out. The counts are
-- short-lived: the old ones (per username alone) are dropped.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    username TEXT NOT NULL,
    -- the client's IP address
    source TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_failure_ms BIGINT NOT NULL,
    PRIMARY KEY (username, source)
);

-- Security monitoring: failed logins in a row per username (an account
-- locks out past five), and the events admins and auditors review.
CREATE TABLE login_failures (
    username TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_ms BIGINT NOT NULL
);

CREATE TABLE security_events (
    at_ms BIGINT NOT NULL,
    -- failed-login | lockout | rate-limited
    kind TEXT NOT NULL,
    -- the username, or a token's hash prefix
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE INDEX security_events_by_time ON security_events (at_ms);

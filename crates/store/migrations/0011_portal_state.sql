-- What the portal remembers between two requests, in the database so that every host
-- sharing it sees the same (a load balancer may send the next request anywhere).

-- The outcome of a connection's "Run health check", shown by the page the POST redirects
-- to (`?check=<id>`) for a while, to the session that ran it and on that connection's page
-- only. `session_id` is the session's `id_hash` (the operator's session has a row too).
-- `ok` is 1 or 0. Rows older than the portal's keep time are swept when one is saved.
CREATE TABLE portal_health_checks (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES portal_sessions (id_hash) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    ok BIGINT NOT NULL,
    message TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    elapsed_ms BIGINT NOT NULL
);
CREATE INDEX portal_health_checks_by_time ON portal_health_checks (at_ms);
CREATE INDEX portal_health_checks_by_session ON portal_health_checks (session_id);
CREATE INDEX portal_health_checks_by_connection ON portal_health_checks (connection_id);

-- The nonces of the generate-key forms already answered, so posting one form again (on
-- any host) creates no second key. Rows older than the portal's keep time are swept.
CREATE TABLE portal_form_nonces (
    nonce TEXT PRIMARY KEY,
    used_ms BIGINT NOT NULL
);
CREATE INDEX portal_form_nonces_by_time ON portal_form_nonces (used_ms);

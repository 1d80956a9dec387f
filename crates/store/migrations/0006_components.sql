-- Connector components stored content-addressed, so every host sharing the database serves
-- the same versions. Portable SQL, as 0001.

-- One row per distinct component: `digest` is the SHA-256 (lower-case hex) of `bytes`, the
-- registry's digest, so the same bytes uploaded twice are one row. `bytes` is declared
-- BYTEA: PostgreSQL's binary type, and on SQLite a type name without a known affinity word
-- (NUMERIC affinity), which stores a bound blob unconverted; sqlx's Any driver binds and
-- reads `Vec<u8>` as a blob on both, so one migration serves both without base64.
CREATE TABLE components (
    digest TEXT PRIMARY KEY,
    connector_key TEXT NOT NULL,
    version TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    uploaded_ms BIGINT NOT NULL
);
CREATE INDEX components_by_key ON components (connector_key, uploaded_ms);

-- The component each connector key serves on every host. `seq` grows with every change of
-- any head (one more than the largest at the time), so a host notices a change by comparing
-- COUNT(*) and SUM(seq) with what it saw last: one cheap query per poll.
CREATE TABLE component_heads (
    connector_key TEXT PRIMARY KEY,
    digest TEXT NOT NULL REFERENCES components (digest),
    seq BIGINT NOT NULL,
    changed_ms BIGINT NOT NULL
);

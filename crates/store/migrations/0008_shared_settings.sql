-- Settings every host sharing the database must agree on, one row per name. The first is
-- `secret_key_check`: a value sealed with the secret key, so a host started with another
-- key refuses to start instead of sealing secrets the others cannot open.
CREATE TABLE shared_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

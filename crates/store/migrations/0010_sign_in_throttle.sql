-- The portal's sign-in throttle, shared by every host on the database: one row per budget
-- ("addr:<client address>", or "account:" and the email or "operator") holding its GCRA
-- theoretical arrival time. Rows whose time has passed have refilled and are swept.
CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL,
    allowed BIGINT NOT NULL
);

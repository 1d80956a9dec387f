-- The portal: tenant users and sign-in sessions. Portable SQL, as 0001.

-- A person who signs in to the portal and sees one tenant's data. Emails are unique across
-- the whole server (stored trimmed and lower-cased), so the sign-in form needs no tenant.
-- `password_hash` is an argon2id PHC string; the password itself is never stored.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    last_sign_in_ms BIGINT
);
CREATE INDEX users_by_tenant ON users (tenant_id, email);

-- A signed-in browser. `id_hash` is the SHA-256 of the cookie's random 256-bit id (the id
-- itself is never stored). `user_id` NULL is the operator, signed in with the admin token
-- whose SHA-256 is `operator_token_hash`: a session of a token no longer configured is over.
-- A session ends idle after `last_seen_ms` or at `expires_ms` (absolute), whichever first.
CREATE TABLE portal_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    operator_token_hash TEXT,
    created_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX portal_sessions_by_user ON portal_sessions (user_id);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (expires_ms);

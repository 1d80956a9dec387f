-- Automations, their outbox and id links; the change feed of the local copy; per-connection
-- request budgets. Portable SQL, as 0001.

-- The change feed: every insert or change of a record takes the next number of its
-- connection's counter (allocated under the connection row's lock, so numbers become
-- visible in order), and automations and webhooks follow it with their own cursors.
ALTER TABLE connections ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
-- A request budget overriding the connector manifest's: JSON {"requests": N, "perSeconds": S}
-- or {"unlimited": true}; NULL means the manifest's.
ALTER TABLE connections ADD COLUMN rate_limit TEXT;
ALTER TABLE records ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
-- The number the record had when it first arrived: `first_seq = change_seq` means created.
ALTER TABLE records ADD COLUMN first_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX records_by_change ON records (connection_id, resource, change_seq);
-- Products and variations by SKU: how automations find the record to update on a target
-- that only takes stock and price updates.
ALTER TABLE records ADD COLUMN sku TEXT;
CREATE INDEX records_by_sku ON records (connection_id, sku);

CREATE TABLE automations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    source_connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    target_connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    enabled BIGINT NOT NULL,
    cadence_secs BIGINT NOT NULL,
    -- Also run as soon as the reading side of an enabled entity changes.
    on_change BIGINT NOT NULL,
    -- JSON: {"orders": {"enabled": true, "direction": "source_to_target"}, ...}
    entities TEXT NOT NULL,
    -- JSON mapping options (order status map, ...).
    options TEXT NOT NULL,
    next_run_ms BIGINT NOT NULL,
    -- Why the next run comes early: `manual` (run now) or `change` (a side changed).
    wake_reason TEXT,
    last_run_ms BIGINT,
    last_status TEXT,
    last_error TEXT,
    failures BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until_ms BIGINT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX automations_due ON automations (enabled, next_run_ms);

-- How far an automation has read each (entity, direction) of its reading side's change feed.
CREATE TABLE automation_cursors (
    automation_id TEXT NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    resource TEXT NOT NULL,
    direction TEXT NOT NULL,
    change_seq BIGINT NOT NULL,
    PRIMARY KEY (automation_id, resource, direction)
);

CREATE TABLE automation_runs (
    id TEXT PRIMARY KEY,
    automation_id TEXT NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    trigger_kind TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    status TEXT NOT NULL,
    -- Changes read from the reading sides, writes delivered, changes skipped (unchanged
    -- or Junction's own echo), writes that failed (retried later) and writes parked.
    read_count BIGINT NOT NULL DEFAULT 0,
    written BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    parked BIGINT NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX automation_runs_by_automation ON automation_runs (automation_id, started_ms);

-- Which record on one connection Junction wrote as which record on another, so a re-run
-- updates instead of duplicating and Junction's own writes are not read back as changes.
CREATE TABLE id_links (
    resource TEXT NOT NULL,
    source_connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    source_id TEXT NOT NULL,
    target_connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    target_id TEXT NOT NULL,
    -- Digest of the last content written, so an unchanged record is not written again.
    fingerprint TEXT,
    -- The target record's modification time as Junction's write left it: a change read
    -- from the target that is not newer is Junction's own write coming back.
    echo_modified_ms BIGINT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (resource, source_connection_id, source_id, target_connection_id)
);
CREATE INDEX id_links_by_target ON id_links (resource, target_connection_id, target_id);

-- Writes waiting to be delivered: one row per (automation, record, write kind), holding
-- the newest content. Delivered rows are deleted; failures wait for their next attempt;
-- after too many attempts (or a refusal retrying cannot fix) a row is parked until retried
-- by hand.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    automation_id TEXT NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    source_connection_id TEXT NOT NULL,
    target_connection_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    source_id TEXT NOT NULL,
    write_kind TEXT NOT NULL,
    -- JSON of the planned write (the mapped canonical record).
    payload TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    source_modified_ms BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until_ms BIGINT,
    UNIQUE (automation_id, resource, source_connection_id, source_id, write_kind)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);
CREATE INDEX outbox_by_automation ON outbox (automation_id, status);

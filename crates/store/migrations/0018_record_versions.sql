-- Earlier versions of each record, for the portal's records browser ("what changed and
-- when"): the JSON the local copy held before a change replaced it, with its change times.
-- Written only when a record's JSON changes (not for new or identical records); the store
-- keeps the last few of each record; removed with the connection's records.
CREATE TABLE record_versions (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    resource TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    -- The connection clock of the change that replaced this version (one per transaction,
    -- and a transaction changes a record at most once).
    replaced_ms BIGINT NOT NULL,
    changed_ms BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (connection_id, resource, parent_id, external_id, replaced_ms)
);

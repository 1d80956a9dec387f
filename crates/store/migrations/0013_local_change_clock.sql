-- The local copy's own change clock and stable positions (the lossless list recipe).
--
-- `records.changed_ms` is when the local copy last changed the record: taken from the
-- connection's clock (`connections.clock_ms`), which only moves forward and moves at least
-- one millisecond per committing transaction, under the connection row's lock, so a reader
-- never sees a later value while an earlier one can still appear. The Runtime API serves it
-- as `modifiedAt` and filters `updatedSince` on it; the system's own time stays in
-- `modified_ms` (served as `sourceModifiedAt`).
--
-- `records.position` numbers the changes of one (connection, resource, parent) densely:
-- a record that changes takes the next number, so a position is never reused and a record
-- never moves backwards. `position_marks` keeps, per committing transaction, the last
-- position it assigned and its clock; marks are never rewritten, so "the last position
-- whose clock is at or before T" is the same answer for the whole of a client's walk.
ALTER TABLE connections ADD COLUMN clock_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN changed_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN position BIGINT NOT NULL DEFAULT 0;

-- Existing records are numbered in their change-feed order and stamped with one clock value:
-- the newest source time stored, so a client that kept a source `modifiedAt` as its
-- `updatedSince` reads every record once more after the upgrade (duplicates, never a loss).
UPDATE records SET position = numbered.n
FROM (
    SELECT connection_id, resource, parent_id, external_id,
        ROW_NUMBER() OVER (PARTITION BY connection_id, resource, parent_id ORDER BY change_seq, external_id) AS n
    FROM records
) AS numbered
WHERE records.connection_id = numbered.connection_id
    AND records.resource = numbered.resource
    AND records.parent_id = numbered.parent_id
    AND records.external_id = numbered.external_id;
UPDATE records SET changed_ms = (SELECT COALESCE(MAX(modified_ms), 0) FROM records);
UPDATE connections SET clock_ms = (SELECT COALESCE(MAX(modified_ms), 0) FROM records);

CREATE TABLE position_marks (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    resource TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    clock_ms BIGINT NOT NULL,
    PRIMARY KEY (connection_id, resource, parent_id, position)
);
INSERT INTO position_marks (connection_id, resource, parent_id, position, clock_ms)
SELECT connection_id, resource, parent_id, MAX(position), MAX(changed_ms)
FROM records GROUP BY connection_id, resource, parent_id;

CREATE INDEX records_by_position ON records (connection_id, resource, parent_id, position);
DROP INDEX records_by_modified;
DROP INDEX records_by_parent;

-- "Sync now": when a person asked for a resource's next run (NULL when only the schedule
-- made it due), so the run history says `manual` for it. Cleared when the run begins.
ALTER TABLE sync_state ADD COLUMN requested_ms BIGINT;

-- The portal's Runs page lists runs across connections newest first.
CREATE INDEX runs_by_start ON runs (started_ms);

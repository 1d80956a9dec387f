-- When a resource last synced successfully: the Runtime API's freshness headers and stale
-- flag, and the "not synced yet" answer, read it (the last run may have failed since).
ALTER TABLE sync_state ADD COLUMN last_success_ms BIGINT;
UPDATE sync_state SET last_success_ms = last_run_ms WHERE last_status = 'succeeded';

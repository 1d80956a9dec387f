-- Deletions in the local copy.
--
-- A record the external system no longer holds is kept as a tombstone: `deleted_ms` says
-- when the local copy learned it (from its clock, like `changed_ms`), and the deletion takes
-- the next change number and position like any change, so the change feed (automations,
-- webhooks) and a client following the list recipe with `updatedSince` learn it. Lists and
-- internal readers leave tombstones out; a record seen again is restored by its next write.
ALTER TABLE records ADD COLUMN deleted_ms BIGINT;

-- Reconciliation (a complete scan of a resource's ids, marking deleted what it did not see)
-- runs inside the resource's sync job when `reconcile_due_ms` has passed; "reconcile now"
-- sets it to 0. Unset: due one period after the first successful sync.
ALTER TABLE sync_state ADD COLUMN reconcile_due_ms BIGINT;
ALTER TABLE sync_state ADD COLUMN last_reconciled_ms BIGINT;

-- Runs are syncs or reconciliations; a reconciliation counts what it marked deleted.
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'sync';
ALTER TABLE runs ADD COLUMN deleted BIGINT NOT NULL DEFAULT 0;

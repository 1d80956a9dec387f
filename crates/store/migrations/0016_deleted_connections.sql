-- A deleted connection stays as a tombstone (id, tenant, connector, name, when) so that the
-- automations that used it — disabled with the reason — and the run history still name it;
-- its config and secrets are wiped and everything it owned is removed (records, sync state,
-- keys and their idempotency rows, webhooks scoped to it). Reads treat it as gone.
ALTER TABLE connections ADD COLUMN deleted_ms BIGINT;

-- A run's story for the portal's run detail: one row per step (a page a sync committed with
-- its requests and connector log lines, a failed call, a reconciliation's scan and
-- confirmations, an automation's written/skipped/parked records), as compact JSON. At most
-- a few hundred per run (the store refuses more); pruned by age (`runs.detail_days`).
CREATE TABLE run_steps (
    run_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX run_steps_by_time ON run_steps (at_ms);

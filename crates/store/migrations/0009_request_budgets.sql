-- Request budgets shared by every host on one PostgreSQL database (issue 7): one row per
-- connection that has sent through the shared budget. Times are microseconds since the
-- Unix epoch on the database's clock (`clock_timestamp()`), so the hosts' clocks never
-- matter. `next_slot_us` is when the next request may leave (GCRA's theoretical arrival
-- time: every reservation moves it one budget interval on); `paused_until_us` is the end
-- of the pause announced by the latest rate-limit answer any host saw (0: never paused).
-- On SQLite (one host) budgets stay in memory and the table stays empty. Portable SQL,
-- as 0001.
CREATE TABLE request_budgets (
    connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    next_slot_us BIGINT NOT NULL,
    paused_until_us BIGINT NOT NULL
);

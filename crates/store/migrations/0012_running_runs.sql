-- Claiming a job interrupts any run of it still marked running (its host lost the lease or
-- died before pointing the job at the run); this finds those few rows without scanning a
-- connection's whole history.
CREATE INDEX runs_running ON runs (connection_id, resource) WHERE status = 'running';

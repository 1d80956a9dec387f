-- Scale-out: which host (its lease owner, `hostname-pid`) ran each sync run, so the history
-- tells hosts apart and a run left `running` by a dead host can be told from a live one's.
ALTER TABLE runs ADD COLUMN host TEXT;

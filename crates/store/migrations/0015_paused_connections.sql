-- A paused connection: no autosync and no automation touching it runs until it is resumed
-- (its copy, keys and Runtime API stay as they are).
ALTER TABLE connections ADD COLUMN paused BIGINT NOT NULL DEFAULT 0;

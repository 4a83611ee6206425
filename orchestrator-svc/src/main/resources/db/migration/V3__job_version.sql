-- The job row's version, +1 per committed change: a save names the version it read (the
-- JobStore contract's optimistic lock; with SQLite's single writer it never refuses).
ALTER TABLE jobs ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

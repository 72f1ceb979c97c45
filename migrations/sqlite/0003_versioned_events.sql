-- Every event says which version of its type's payload it was written in (version 1 so far),
-- so a reader can refuse a version it does not know instead of guessing.
ALTER TABLE events ADD COLUMN schema_version INTEGER NOT NULL DEFAULT 1 CHECK (schema_version >= 1);

-- The relay's position is the broker's last entry (entry ids are sequence numbers), not a mark
-- on each row: publishing no longer writes to the outbox.
DROP INDEX idx_events_unpublished;
ALTER TABLE events DROP COLUMN published_at;

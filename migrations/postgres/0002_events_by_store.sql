-- A store's staff replay their store's events and the catalogue's (no store): an index per
-- store, in seq order, so that reading them does not scan every other store's events.
CREATE INDEX idx_events_store ON events (store_id, seq);

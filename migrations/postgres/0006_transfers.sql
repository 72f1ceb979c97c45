-- Transfers of units between two stores. The units leave the source's stock when sent (a
-- stock change of its own); a SHIPPED transfer is IN_TRANSIT until the destination receives
-- it or the source calls it back. Availability sums IN_TRANSIT units per destination.
CREATE TABLE transfers (
    id            UUID PRIMARY KEY,
    product_id    UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    from_store_id TEXT NOT NULL REFERENCES stores (id),
    to_store_id   TEXT NOT NULL REFERENCES stores (id),
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    mode          TEXT NOT NULL CHECK (mode IN ('IMMEDIATE', 'SHIPPED')),
    status        TEXT NOT NULL CHECK (status IN ('IN_TRANSIT', 'RECEIVED', 'CANCELLED')),
    created_by    TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CHECK (from_store_id <> to_store_id),
    CHECK (mode = 'SHIPPED' OR status = 'RECEIVED')
);
-- Availability's in_transit, on the hottest read: only the transfers still on their way.
CREATE INDEX idx_transfers_in_transit ON transfers (product_id, to_store_id) WHERE status = 'IN_TRANSIT';
CREATE INDEX idx_transfers_from ON transfers (from_store_id, id);
CREATE INDEX idx_transfers_to ON transfers (to_store_id, id);

-- A received or cancelled transfer never changes again, whatever the code asks.
CREATE FUNCTION transfers_resolve_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'IN_TRANSIT' THEN
        RAISE EXCEPTION 'transfer already received or cancelled' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER transfers_resolve_once
BEFORE UPDATE ON transfers
FOR EACH ROW EXECUTE FUNCTION transfers_resolve_once();

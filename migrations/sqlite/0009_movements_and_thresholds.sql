-- Movement history: one row per change of a pair's quantity or reserved units, written with
-- the event that made it and keyed by that event's seq (the history's stable cursor).
-- Summed per pair, the changes give the pair's stock.
CREATE TABLE movements (
    seq             INTEGER PRIMARY KEY,     -- the event's seq (negative: opening balances)
    product_id      TEXT NOT NULL,           -- no foreign key: history outlives a product
    store_id        TEXT NOT NULL,
    quantity_change INTEGER NOT NULL,
    reserved_change INTEGER NOT NULL,
    quantity_after  INTEGER NOT NULL CHECK (quantity_after >= 0 AND quantity_after <= 1000000000),
    reserved_after  INTEGER NOT NULL CHECK (reserved_after >= 0 AND reserved_after <= quantity_after),
    reason          TEXT NOT NULL,
    reference_kind  TEXT CHECK (reference_kind IN ('reservation', 'transfer', 'import', 'check')),
    reference_id    TEXT,
    actor           TEXT,
    occurred_at     TEXT NOT NULL,
    CHECK ((reference_kind IS NULL) = (reference_id IS NULL))
);
CREATE INDEX idx_movements_pair ON movements (product_id, store_id, seq);
CREATE INDEX idx_movements_store ON movements (store_id, seq);
CREATE INDEX idx_movements_time ON movements (occurred_at, seq);
CREATE INDEX idx_movements_actor ON movements (actor, seq) WHERE actor IS NOT NULL;

-- Stock that existed before the history began gets an opening balance, so the sums hold for
-- an upgraded database too.
INSERT INTO movements (seq, product_id, store_id, quantity_change, reserved_change,
                       quantity_after, reserved_after, reason, occurred_at)
SELECT -ROW_NUMBER() OVER (ORDER BY product_id, store_id), product_id, store_id,
       quantity, reserved, quantity, reserved, 'OPENING_BALANCE',
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM stock;

-- Low-stock thresholds: a pair's own (store_id set) or its product's default (store_id '').
CREATE TABLE stock_thresholds (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    store_id   TEXT NOT NULL,
    threshold  INTEGER NOT NULL CHECK (threshold >= 0 AND threshold <= 1000000000),
    set_by     TEXT,
    set_at     TEXT NOT NULL,
    PRIMARY KEY (product_id, store_id)
) WITHOUT ROWID;

-- What a pair's reserved count must equal, read by the reconciliation check per pair.
CREATE INDEX idx_reservations_pending_pair ON reservations (product_id, store_id)
    WHERE status = 'PENDING';
-- The design document's index: a store's reservations by time.
CREATE INDEX idx_reservations_store_created ON reservations (store_id, created_at);

-- Search without case or accents: the name and SKU folded by the service (NULL until the
-- service has folded a row written before this migration; it does so when it opens).
ALTER TABLE products ADD COLUMN search_name TEXT;
ALTER TABLE products ADD COLUMN search_sku TEXT;
CREATE INDEX idx_products_search_sku ON products (search_sku);

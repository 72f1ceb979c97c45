-- Movement history: one row per change of a pair's quantity or reserved units, written with
-- the event that made it and keyed by that event's seq (the history's stable cursor).
-- Summed per pair, the changes give the pair's stock.
CREATE TABLE movements (
    seq             bigint PRIMARY KEY,      -- the event's seq (negative: opening balances)
    product_id      uuid NOT NULL,           -- no foreign key: history outlives a product
    store_id        text NOT NULL,
    quantity_change bigint NOT NULL,
    reserved_change bigint NOT NULL,
    quantity_after  integer NOT NULL CHECK (quantity_after >= 0 AND quantity_after <= 1000000000),
    reserved_after  integer NOT NULL CHECK (reserved_after >= 0 AND reserved_after <= quantity_after),
    reason          text NOT NULL,
    reference_kind  text CHECK (reference_kind IN ('reservation', 'transfer', 'import', 'check')),
    reference_id    uuid,
    actor           text,
    occurred_at     timestamptz NOT NULL,
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
       quantity, reserved, quantity, reserved, 'OPENING_BALANCE', now()
FROM stock;

-- Low-stock thresholds: a pair's own (store_id set) or its product's default (store_id '').
CREATE TABLE stock_thresholds (
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    store_id   text NOT NULL,
    threshold  integer NOT NULL CHECK (threshold >= 0 AND threshold <= 1000000000),
    set_by     text,
    set_at     timestamptz NOT NULL,
    PRIMARY KEY (product_id, store_id)
);

-- What a pair's reserved count must equal, read by the reconciliation check per pair.
CREATE INDEX idx_reservations_pending_pair ON reservations (product_id, store_id)
    WHERE status = 'PENDING';
-- The design document's index: a store's reservations by time.
CREATE INDEX idx_reservations_store_created ON reservations (store_id, created_at);

-- Search without case or accents: the name and SKU folded by the service (NULL until the
-- service has folded a row written before this migration; it does so when it opens).
ALTER TABLE products ADD COLUMN search_name text;
ALTER TABLE products ADD COLUMN search_sku text;
CREATE INDEX idx_products_search_sku ON products (search_sku text_pattern_ops);

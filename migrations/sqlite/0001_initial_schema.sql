-- The inventory schema: the design document's five tables, with the improvements
-- ARCHITECTURE.md lists (integer cents, store foreign keys, an ordered outbox).
-- Timestamps are UTC text of fixed width ('2025-10-26T17:30:00.000Z'), so text order is time
-- order and the expiry index can be range-scanned.

CREATE TABLE products (
    id          TEXT PRIMARY KEY,                     -- UUID v7
    sku         TEXT NOT NULL UNIQUE,                 -- upper-cased by the domain
    name        TEXT NOT NULL CHECK (length(name) > 0),
    description TEXT,
    category    TEXT,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),  -- exact; the document's REAL was not
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX idx_products_category ON products (category, sku);

CREATE TABLE stores (
    id         TEXT PRIMARY KEY,                      -- human code: MAD-001
    name       TEXT NOT NULL CHECK (length(name) > 0),
    address    TEXT,
    city       TEXT,
    country    TEXT,
    phone      TEXT,
    email      TEXT,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One row per (product, store). The CHECKs are the last line of defence against overselling:
-- even a buggy write cannot store reserved > quantity or a negative count.
CREATE TABLE stock (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    store_id   TEXT NOT NULL REFERENCES stores (id),
    quantity   INTEGER NOT NULL CHECK (quantity >= 0 AND quantity <= 1000000000),
    reserved   INTEGER NOT NULL CHECK (reserved >= 0),
    version    INTEGER NOT NULL CHECK (version >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (product_id, store_id),
    CHECK (reserved <= quantity)
) WITHOUT ROWID;

CREATE INDEX idx_stock_store ON stock (store_id, product_id);

CREATE TABLE reservations (
    id          TEXT PRIMARY KEY,                     -- UUID v7
    product_id  TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    status      TEXT NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    FOREIGN KEY (product_id, store_id) REFERENCES stock (product_id, store_id) ON DELETE CASCADE
);

CREATE INDEX idx_reservations_store ON reservations (store_id, id);
CREATE INDEX idx_reservations_customer ON reservations (customer_id, id);
CREATE INDEX idx_reservations_status ON reservations (status, id);
-- The expiry worker's scan: only PENDING rows, in deadline order.
CREATE INDEX idx_reservations_due ON reservations (expires_at, id) WHERE status = 'PENDING';

-- A resolved reservation never changes again, whatever the code asks.
CREATE TRIGGER reservations_resolve_once
BEFORE UPDATE ON reservations
WHEN OLD.status <> 'PENDING'
BEGIN
    SELECT RAISE(ABORT, 'reservation already resolved');
END;

-- The transactional outbox. seq is assigned at insert; writers are serialised, so seq order is
-- commit order, and AUTOINCREMENT never reuses a number.
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE,
    event_type     TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    store_id       TEXT,                                -- NULL for product events
    product_id     TEXT,                                -- NULL for store events
    payload        TEXT NOT NULL CHECK (json_valid(payload)),
    request_id     TEXT,
    occurred_at    TEXT NOT NULL,
    published_at   TEXT                                 -- set by the relay
);

CREATE INDEX idx_events_aggregate ON events (aggregate_id, seq);
CREATE INDEX idx_events_unpublished ON events (seq) WHERE published_at IS NULL;

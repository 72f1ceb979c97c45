-- The inventory schema on PostgreSQL: the same tables, guards and seeded stores as the SQLite
-- migrations (migrations/sqlite), in PostgreSQL's types. Timestamps are timestamptz (the
-- service writes them truncated to milliseconds, so they round-trip exactly).

CREATE TABLE products (
    id          uuid PRIMARY KEY,                      -- UUID v7
    sku         text NOT NULL CONSTRAINT products_sku_unique UNIQUE,
    name        text NOT NULL CHECK (length(name) > 0),
    description text,
    category    text,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE INDEX idx_products_category ON products (category, sku);

CREATE TABLE stores (
    id         text CONSTRAINT stores_pkey PRIMARY KEY, -- human code: MAD-001
    name       text NOT NULL CHECK (length(name) > 0),
    address    text,
    city       text,
    country    text,
    phone      text,
    email      text,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- One row per (product, store). The CHECKs are the last line of defence against overselling:
-- even a buggy write cannot store reserved > quantity or a negative count.
CREATE TABLE stock (
    product_id uuid NOT NULL CONSTRAINT stock_product_fk REFERENCES products (id) ON DELETE CASCADE,
    store_id   text NOT NULL CONSTRAINT stock_store_fk REFERENCES stores (id),
    quantity   integer NOT NULL CHECK (quantity >= 0 AND quantity <= 1000000000),
    reserved   integer NOT NULL CHECK (reserved >= 0),
    version    bigint NOT NULL CHECK (version >= 1),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT stock_pkey PRIMARY KEY (product_id, store_id),
    CHECK (reserved <= quantity)
);

CREATE INDEX idx_stock_store ON stock (store_id, product_id);

CREATE TABLE reservations (
    id          uuid PRIMARY KEY,                      -- UUID v7
    product_id  uuid NOT NULL,
    store_id    text NOT NULL,
    customer_id text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    status      text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    FOREIGN KEY (product_id, store_id) REFERENCES stock (product_id, store_id) ON DELETE CASCADE
);

CREATE INDEX idx_reservations_store ON reservations (store_id, id);
CREATE INDEX idx_reservations_customer ON reservations (customer_id, id);
CREATE INDEX idx_reservations_status ON reservations (status, id);
-- The expiry worker's scan: only PENDING rows, in deadline order.
CREATE INDEX idx_reservations_due ON reservations (expires_at, id) WHERE status = 'PENDING';

-- A resolved reservation never changes again, whatever the code asks.
CREATE FUNCTION reservations_resolve_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'PENDING' THEN
        RAISE EXCEPTION 'reservation already resolved' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER reservations_resolve_once
BEFORE UPDATE ON reservations
FOR EACH ROW EXECUTE FUNCTION reservations_resolve_once();

-- The transactional outbox. seq is not a sequence: a sequence hands numbers out when a
-- transaction asks, not when it commits, and a reader could see 11 before 10 commits. Each
-- batch takes its seqs from outbox_head right before COMMIT and holds that row's lock until
-- the commit, so seqs are assigned in commit order, across every instance, with no gaps.
CREATE TABLE events (
    seq            bigint PRIMARY KEY CHECK (seq >= 1),
    event_id       uuid NOT NULL UNIQUE,
    event_type     text NOT NULL,
    schema_version integer NOT NULL CHECK (schema_version >= 1),
    aggregate_type text NOT NULL,
    aggregate_id   text NOT NULL,
    store_id       text,                               -- NULL for product events
    product_id     text,                               -- NULL for store events
    payload        json NOT NULL,                      -- json keeps the text as written
    request_id     text,
    occurred_at    timestamptz NOT NULL
);

CREATE INDEX idx_events_aggregate ON events (aggregate_id, seq);

CREATE TABLE outbox_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq  bigint NOT NULL CHECK (last_seq >= 0)
);

INSERT INTO outbox_head (singleton, last_seq) VALUES (true, 0);

-- The chain's four stores from the design document, as on SQLite (no store.created events).
INSERT INTO stores (id, name, address, city, country, phone, email, active, created_at, updated_at) VALUES
    ('MAD-001', 'Madrid Centro',             'Calle Gran Vía 1',       'Madrid',    'España', '+34 910 000 001', 'mad-001@tiendas.example', true, '2025-10-26T00:00:00.000Z', '2025-10-26T00:00:00.000Z'),
    ('BCN-001', 'Barcelona Plaza Catalunya', 'Plaça de Catalunya 1',   'Barcelona', 'España', '+34 930 000 001', 'bcn-001@tiendas.example', true, '2025-10-26T00:00:00.000Z', '2025-10-26T00:00:00.000Z'),
    ('VAL-001', 'Valencia Norte',            'Avenida de Valencia 1',  'Valencia',  'España', '+34 960 000 001', 'val-001@tiendas.example', true, '2025-10-26T00:00:00.000Z', '2025-10-26T00:00:00.000Z'),
    ('SEV-001', 'Sevilla Centro',            'Calle Sierpes 1',        'Sevilla',   'España', '+34 950 000 001', 'sev-001@tiendas.example', true, '2025-10-26T00:00:00.000Z', '2025-10-26T00:00:00.000Z');

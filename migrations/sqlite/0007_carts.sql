-- Carts: several lines reserved together, all or nothing, and resolved together. Each line
-- is a reservation carrying its cart's id; it is resolved only with its cart. No foreign key
-- from reservations.cart_id: a cart's lines are recorded before the cart.created event that
-- writes the cart row (Cart::restore checks that lines point to their cart).
CREATE TABLE carts (
    id          TEXT PRIMARY KEY,                     -- UUID v7
    customer_id TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (expires_at > created_at)
);
-- The expiry worker's scan of carts: only PENDING ones, in deadline order.
CREATE INDEX idx_carts_due ON carts (expires_at, id) WHERE status = 'PENDING';

-- A resolved cart never changes again, whatever the code asks.
CREATE TRIGGER carts_resolve_once
BEFORE UPDATE ON carts
WHEN OLD.status <> 'PENDING'
BEGIN
    SELECT RAISE(ABORT, 'a resolved cart cannot change');
END;

ALTER TABLE reservations ADD COLUMN cart_id TEXT;
CREATE INDEX idx_reservations_cart ON reservations (cart_id) WHERE cart_id IS NOT NULL;

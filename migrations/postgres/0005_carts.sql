-- Carts: several lines reserved together, all or nothing, and resolved together. Each line
-- is a reservation carrying its cart's id; it is resolved only with its cart. No foreign key
-- from reservations.cart_id: the batch writes a cart's lines out after its cart row or
-- before, as it goes (Cart::restore checks that lines point to their cart).
CREATE TABLE carts (
    id          UUID PRIMARY KEY,
    customer_id TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CHECK (expires_at > created_at)
);
-- The expiry worker's scan of carts: only PENDING ones, in deadline order.
CREATE INDEX idx_carts_due ON carts (expires_at, id) WHERE status = 'PENDING';

-- A resolved cart never changes again, whatever the code asks.
CREATE FUNCTION carts_resolve_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'PENDING' THEN
        RAISE EXCEPTION 'cart already resolved' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER carts_resolve_once
BEFORE UPDATE ON carts
FOR EACH ROW EXECUTE FUNCTION carts_resolve_once();

ALTER TABLE reservations ADD COLUMN cart_id UUID;
CREATE INDEX idx_reservations_cart ON reservations (cart_id) WHERE cart_id IS NOT NULL;

-- A customer reserving for itself has its PENDING holds counted in the reservation's own
-- transaction (the hold limits): an index of just those, so that the count reads a few rows
-- instead of the customer's whole history.
CREATE INDEX idx_reservations_customer_pending ON reservations (customer_id) WHERE status = 'PENDING';

-- Webhook endpoints and their delivery log. Configuration an admin registers, not inventory
-- state: written without a domain event (like idempotency answers), with who registered it.
-- The worker delivers the outbox events after each endpoint's cursor, in seq order.
CREATE TABLE webhooks (
    id          UUID PRIMARY KEY,
    url         TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    event_types TEXT NOT NULL CHECK (length(event_types) > 0),  -- names joined by commas
    store_id    TEXT,                                 -- only this store's events, when set
    secret      TEXT NOT NULL,                        -- whsec_..., shown once at creation
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT,
    cursor      BIGINT NOT NULL CHECK (cursor >= 0)   -- the last outbox seq handled
);

-- One line per delivery attempt; removed with its endpoint.
CREATE TABLE webhook_deliveries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- newest first is id DESC
    webhook_id  UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL CHECK (seq > 0),
    event_id    UUID NOT NULL,
    attempt     INTEGER NOT NULL CHECK (attempt > 0),
    status_code INTEGER CHECK (status_code BETWEEN 100 AND 599),
    error       TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('DELIVERED', 'FAILED', 'DEAD')),
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

//! Every use case, wired to one set of ports.

use crate::{
    AvailabilityQuery, Carts, Catalogue, EventLog, Health, IdempotencyKeys, Ports, Reservations,
    StockKeeping, StoreDirectory, Transfers, Webhooks,
};

/// Every use case, sharing one set of ports. Cheap to clone.
#[derive(Clone)]
pub struct UseCases {
    /// Products: create, update, delete, get, list.
    pub products: Catalogue,
    /// Stores: create, update, get, list.
    pub stores: StoreDirectory,
    /// Stock levels: adjust, count, get, list.
    pub stock: StockKeeping,
    /// Availability of a product across stores.
    pub availability: AvailabilityQuery,
    /// Reservations: reserve, confirm, cancel, expire, get, list.
    pub reservations: Reservations,
    /// Carts: several lines reserved all or nothing, resolved together.
    pub carts: Carts,
    /// Transfers between stores: send, receive, cancel, get, list.
    pub transfers: Transfers,
    /// The outbox, read in order.
    pub events: EventLog,
    /// Whether the storage answers.
    pub health: Health,
    /// The stored answers of idempotency keys.
    pub idempotency_keys: IdempotencyKeys,
    /// Webhook endpoints: register, list, remove, delivery logs, replay.
    pub webhooks: Webhooks,
}

impl UseCases {
    /// Wires every use case to `ports`.
    pub fn new(ports: Ports) -> Self {
        Self {
            products: Catalogue::new(ports.clone()),
            stores: StoreDirectory::new(ports.clone()),
            stock: StockKeeping::new(ports.clone()),
            availability: AvailabilityQuery::new(ports.clone()),
            reservations: Reservations::new(ports.clone()),
            carts: Carts::new(ports.clone()),
            transfers: Transfers::new(ports.clone()),
            events: EventLog::new(ports.clone()),
            idempotency_keys: IdempotencyKeys::new(ports.clone()),
            webhooks: Webhooks::new(ports.clone()),
            health: Health::new(ports),
        }
    }
}

//! Every use case, wired to one set of ports.

use crate::{
    AvailabilityQuery, Carts, Catalogue, EventLog, Health, IdempotencyKeys, LowStock,
    MovementHistory, Ports, ProductImports, Reconciliation, Reservations, StockImports,
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
    /// The movement history of every pair.
    pub movements: MovementHistory,
    /// Low-stock thresholds and what is below them.
    pub low_stock: LowStock,
    /// The reconciliation check and its repairs.
    pub reconciliation: Reconciliation,
    /// Bulk stock imports from CSV or JSON lines.
    pub imports: StockImports,
    /// Bulk product imports from CSV or JSON lines.
    pub product_imports: ProductImports,
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
        if let Some(cache) = &ports.read_cache {
            // Registered before anyone else can listen: entries are dropped before a relay or
            // an event follower hears of the commit.
            let cache = std::sync::Arc::clone(cache);
            ports
                .store
                .on_commit(std::sync::Arc::new(move |_| cache.committed()));
        }
        Self {
            products: Catalogue::new(ports.clone()),
            stores: StoreDirectory::new(ports.clone()),
            stock: StockKeeping::new(ports.clone()),
            availability: AvailabilityQuery::new(ports.clone()),
            reservations: Reservations::new(ports.clone()),
            carts: Carts::new(ports.clone()),
            transfers: Transfers::new(ports.clone()),
            movements: MovementHistory::new(ports.clone()),
            low_stock: LowStock::new(ports.clone()),
            reconciliation: Reconciliation::new(ports.clone(), Reservations::new(ports.clone())),
            imports: StockImports::new(ports.clone()),
            product_imports: ProductImports::new(ports.clone()),
            events: EventLog::new(ports.clone()),
            idempotency_keys: IdempotencyKeys::new(ports.clone()),
            webhooks: Webhooks::new(ports.clone()),
            health: Health::new(ports),
        }
    }
}

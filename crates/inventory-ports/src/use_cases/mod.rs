//! The use cases: each drives the domain through the ports, one transaction per call.
//!
//! Every write follows the same shape, inside [`InventoryStore::write`]:
//! read the aggregates, call the domain rule (which returns its events), store the changed
//! aggregates, append the events to the outbox. The commit makes all of it visible at once.

mod availability;
mod events;
mod products;
mod reservations;
mod stock;
mod stores;

use std::sync::Arc;

pub use availability::{AvailabilityQuery, ProductAvailability, StoreAvailability};
pub use events::EventLog;
pub use products::Catalogue;
pub use reservations::{Reservations, ReserveStock};
pub use stock::{AdjustStock, CountStock, StockChanged, StockKeeping};
pub use stores::StoreDirectory;

use inventory_domain::{DomainEvent, EventId};

use crate::{
    Clock, IdGenerator, InventoryError, InventoryStore, NewEvent, RequestContext, WriteTx,
};

/// The driven ports the use cases need.
#[derive(Clone)]
pub struct Ports {
    /// Where the inventory lives.
    pub store: Arc<dyn InventoryStore>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Where new ids come from.
    pub ids: Arc<dyn IdGenerator>,
}

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
    /// The outbox, read in order.
    pub events: EventLog,
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
            events: EventLog::new(ports),
        }
    }
}

/// Appends `event` to the outbox inside the caller's transaction.
fn record(
    tx: &mut dyn WriteTx,
    ports: &Ports,
    event: &DomainEvent,
    context: &RequestContext,
) -> Result<u64, InventoryError> {
    let id = EventId::from_uuid(ports.ids.new_id());
    tx.append_event(&NewEvent::from_domain(
        event,
        id,
        ports.clock.now(),
        context,
    )?)
}

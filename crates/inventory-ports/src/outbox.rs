//! Outbox records: domain events as they are stored next to the change that produced them,
//! and read back in commit order by the relay and the replay endpoint.
//!
//! The payload is JSON with a fixed shape per aggregate type, the contract consumers code
//! against (see the README's "Event format"):
//!
//! - `product.*`: `{"product": {...}}`
//! - `store.*`: `{"store": {...}}`
//! - `stock.*`: `{"stock": {...}, "change": {"kind": "adjustment" | "count", ...}}`
//! - `reservation.*`: `{"reservation": {...}, "stock": {...}}`, the stock after the change.

use inventory_domain::{
    DomainEvent, EventId, Product, ProductId, Reservation, Stock, StockChange, Store, StoreId,
};
use serde::Serialize;
use time::OffsetDateTime;

use crate::{InventoryError, RequestContext};

/// An event about to be written to the outbox, in the same transaction as its change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Stable id: the same event keeps it through every re-delivery.
    pub event_id: EventId,
    /// `stock.updated`...
    pub event_type: &'static str,
    /// `product`, `store`, `stock` or `reservation`.
    pub aggregate_type: &'static str,
    /// Which product, store, stock pair or reservation.
    pub aggregate_id: String,
    /// The store concerned, when there is one.
    pub store_id: Option<StoreId>,
    /// The product concerned, when there is one.
    pub product_id: Option<ProductId>,
    /// The JSON payload.
    pub payload: String,
    /// When the change happened.
    pub occurred_at: OffsetDateTime,
    /// The request that caused it.
    pub request_id: Option<String>,
}

/// An event as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedEvent {
    /// Position in the outbox: assigned at commit, strictly increasing in commit order,
    /// never reused. Consumers de-duplicate and detect gaps with it.
    pub seq: u64,
    /// Stable id of the event.
    pub event_id: EventId,
    /// `stock.updated`...
    pub event_type: String,
    /// `product`, `store`, `stock` or `reservation`.
    pub aggregate_type: String,
    /// Which product, store, stock pair or reservation.
    pub aggregate_id: String,
    /// The store concerned, when there is one.
    pub store_id: Option<String>,
    /// The product concerned, when there is one.
    pub product_id: Option<String>,
    /// The JSON payload, as stored.
    pub payload: String,
    /// When the change happened.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The request that caused it.
    pub request_id: Option<String>,
}

/// The stock part of a payload: the stock after the change, with `available` spelled out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockSnapshot {
    /// The product.
    pub product_id: ProductId,
    /// The store.
    pub store_id: StoreId,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// `quantity - reserved`.
    pub available: u32,
    /// The stock's version after the change.
    pub version: u64,
    /// When it changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&Stock> for StockSnapshot {
    fn from(stock: &Stock) -> Self {
        Self {
            product_id: stock.product_id(),
            store_id: stock.store_id().clone(),
            quantity: stock.quantity(),
            reserved: stock.reserved(),
            available: stock.available(),
            version: stock.version(),
            updated_at: stock.updated_at(),
        }
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum Payload<'a> {
    Product {
        product: &'a Product,
    },
    Store {
        store: &'a Store,
    },
    Stock {
        stock: StockSnapshot,
        change: &'a StockChange,
    },
    Reservation {
        reservation: &'a Reservation,
        stock: StockSnapshot,
    },
}

impl NewEvent {
    /// The outbox record of `event`.
    ///
    /// # Errors
    /// [`InventoryError::Internal`] if the payload cannot be serialised (it is made of strings
    /// and integers, so this would be a bug); the change is then rolled back rather than
    /// committed with an empty event.
    pub fn from_domain(
        event: &DomainEvent,
        event_id: EventId,
        occurred_at: OffsetDateTime,
        context: &RequestContext,
    ) -> Result<Self, InventoryError> {
        let payload = match event {
            DomainEvent::ProductCreated(product)
            | DomainEvent::ProductUpdated(product)
            | DomainEvent::ProductDeleted(product) => Payload::Product { product },
            DomainEvent::StoreCreated(store) | DomainEvent::StoreUpdated(store) => {
                Payload::Store { store }
            }
            DomainEvent::StockCreated { stock, change }
            | DomainEvent::StockUpdated { stock, change } => Payload::Stock {
                stock: stock.into(),
                change,
            },
            DomainEvent::ReservationCreated { reservation, stock }
            | DomainEvent::ReservationConfirmed { reservation, stock }
            | DomainEvent::ReservationCancelled { reservation, stock }
            | DomainEvent::ReservationExpired { reservation, stock } => Payload::Reservation {
                reservation,
                stock: stock.into(),
            },
        };
        let payload = serde_json::to_string(&payload).map_err(|error| {
            InventoryError::Internal(format!("event payload did not serialise: {error}"))
        })?;
        Ok(Self {
            event_id,
            event_type: event.event_type(),
            aggregate_type: event.aggregate_type(),
            aggregate_id: event.aggregate_id(),
            store_id: event.store_id().cloned(),
            product_id: event.product_id(),
            payload,
            occurred_at,
            request_id: context.request_id.clone(),
        })
    }
}

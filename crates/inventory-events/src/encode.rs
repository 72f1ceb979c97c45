//! A domain event to the columns the outbox stores.

use inventory_domain::DomainEvent;
use serde::Serialize;

use crate::payload::{
    CartPayload, LowStockPayload, ProductPayload, ReservationPayload, StockChangeState,
    StockPayload, StockState, StorePayload, TransferPayload,
};
use crate::{AggregateType, EventType};

/// An event ready for the outbox: its names, the ids it is filed under, and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEvent {
    /// `stock.updated`...
    pub event_type: EventType,
    /// The version of the payload's shape.
    pub schema_version: u32,
    /// Which product, store, stock pair (`<product_id>:<store_id>`) or reservation.
    pub aggregate_id: String,
    /// The store concerned, when there is one (product events concern every store).
    pub store_id: Option<String>,
    /// The product concerned, when there is one.
    pub product_id: Option<String>,
    /// The JSON payload.
    pub payload: String,
}

impl EncodedEvent {
    /// What the event is about.
    pub fn aggregate_type(&self) -> AggregateType {
        self.event_type.aggregate()
    }
}

/// Encodes `event` in the current version of its type.
///
/// # Errors
/// When a timestamp cannot be written as RFC 3339 (a year beyond 9999): a bug in whoever
/// made the event. Callers roll the change back rather than store it without its event.
pub fn encode(event: &DomainEvent) -> Result<EncodedEvent, serde_json::Error> {
    let event_type = EventType::of(event);
    let payload = match event {
        DomainEvent::ProductCreated(product)
        | DomainEvent::ProductUpdated(product)
        | DomainEvent::ProductDeleted(product) => to_json(&ProductPayload {
            product: product.into(),
        }),
        DomainEvent::StoreCreated(store) | DomainEvent::StoreUpdated(store) => {
            to_json(&StorePayload {
                store: store.into(),
            })
        }
        DomainEvent::StockCreated { stock, change }
        | DomainEvent::StockUpdated { stock, change } => to_json(&StockPayload {
            stock: StockState::from(stock),
            change: StockChangeState::from(change),
        }),
        DomainEvent::StockLow(alert) | DomainEvent::StockReplenished(alert) => {
            to_json(&LowStockPayload::from(alert))
        }
        DomainEvent::ReservationCreated { reservation, stock }
        | DomainEvent::ReservationConfirmed { reservation, stock }
        | DomainEvent::ReservationCancelled { reservation, stock }
        | DomainEvent::ReservationExtended { reservation, stock }
        | DomainEvent::ReservationExpired { reservation, stock } => to_json(&ReservationPayload {
            reservation: reservation.into(),
            stock: stock.into(),
        }),
        DomainEvent::CartCreated(cart)
        | DomainEvent::CartConfirmed(cart)
        | DomainEvent::CartCancelled(cart)
        | DomainEvent::CartExpired(cart) => to_json(&CartPayload { cart: cart.into() }),
        DomainEvent::TransferCompleted(transfer)
        | DomainEvent::TransferShipped(transfer)
        | DomainEvent::TransferReceived(transfer)
        | DomainEvent::TransferCancelled(transfer) => to_json(&TransferPayload {
            transfer: transfer.into(),
        }),
    }?;
    Ok(EncodedEvent {
        event_type,
        schema_version: event_type.schema_version(),
        aggregate_id: aggregate_id(event),
        store_id: event.store_id().map(ToString::to_string),
        product_id: event.product_id().map(|id| id.to_string()),
        payload,
    })
}

fn to_json(payload: &impl Serialize) -> Result<String, serde_json::Error> {
    serde_json::to_string(payload)
}

/// A product id, a store code, `<product_id>:<store_id>` for stock, a reservation id or a
/// cart id.
fn aggregate_id(event: &DomainEvent) -> String {
    match event {
        DomainEvent::ProductCreated(product)
        | DomainEvent::ProductUpdated(product)
        | DomainEvent::ProductDeleted(product) => product.id.to_string(),
        DomainEvent::StoreCreated(store) | DomainEvent::StoreUpdated(store) => store.id.to_string(),
        DomainEvent::StockCreated { stock, .. } | DomainEvent::StockUpdated { stock, .. } => {
            format!("{}:{}", stock.product_id(), stock.store_id())
        }
        DomainEvent::StockLow(alert) | DomainEvent::StockReplenished(alert) => {
            format!("{}:{}", alert.stock.product_id(), alert.stock.store_id())
        }
        DomainEvent::ReservationCreated { reservation, .. }
        | DomainEvent::ReservationConfirmed { reservation, .. }
        | DomainEvent::ReservationCancelled { reservation, .. }
        | DomainEvent::ReservationExtended { reservation, .. }
        | DomainEvent::ReservationExpired { reservation, .. } => reservation.id().to_string(),
        DomainEvent::CartCreated(cart)
        | DomainEvent::CartConfirmed(cart)
        | DomainEvent::CartCancelled(cart)
        | DomainEvent::CartExpired(cart) => cart.id().to_string(),
        DomainEvent::TransferCompleted(transfer)
        | DomainEvent::TransferShipped(transfer)
        | DomainEvent::TransferReceived(transfer)
        | DomainEvent::TransferCancelled(transfer) => transfer.id().to_string(),
    }
}

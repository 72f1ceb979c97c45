//! Outbox records: a domain event on its way into the outbox, in the same transaction as the
//! change it describes. What comes back out is a [`RecordedEvent`] (its format belongs to
//! `inventory-events`).

use inventory_domain::{DomainEvent, EventId};
pub use inventory_events::RecordedEvent;
use inventory_events::{EncodedEvent, EventType};
use time::OffsetDateTime;

/// A change to store and the event that announces it: [`crate::WriteTx::record`] writes both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Stable id: the same event keeps it through every re-delivery.
    pub event_id: EventId,
    /// When the change happened.
    pub occurred_at: OffsetDateTime,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// The change, with the state after it: what the adapter stores.
    pub change: DomainEvent,
    /// The change as the outbox row holds it (names, ids, JSON payload).
    pub wire: EncodedEvent,
}

impl NewEvent {
    /// The event as it reads back from the outbox once stored at `seq`.
    pub fn recorded(&self, seq: u64) -> RecordedEvent {
        RecordedEvent {
            seq,
            event_id: self.event_id,
            event_type: self.event_type().as_str().to_owned(),
            schema_version: self.wire.schema_version,
            aggregate_type: self.wire.aggregate_type().as_str().to_owned(),
            aggregate_id: self.wire.aggregate_id.clone(),
            store_id: self.wire.store_id.clone(),
            product_id: self.wire.product_id.clone(),
            payload: self.wire.payload.clone(),
            occurred_at: self.occurred_at,
            request_id: self.request_id.clone(),
        }
    }

    /// `stock.updated`...
    pub fn event_type(&self) -> EventType {
        self.wire.event_type
    }
}

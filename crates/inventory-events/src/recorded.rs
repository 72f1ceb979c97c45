//! An event as the outbox holds it: the unit every channel carries.

use inventory_domain::EventId;
use time::OffsetDateTime;

use crate::{DecodeError, EventPayload, EventType, decode};

/// An event read back from the outbox (or from a channel that carries outbox events). Its
/// type and payload stay text until decoded, so a reader can pass on, or skip and count, an
/// event it does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Position in the outbox: strictly increasing in commit order, never reused. Consumers
    /// de-duplicate and detect gaps with it.
    pub seq: u64,
    /// Stable id of the event, the same on every delivery.
    pub event_id: EventId,
    /// `stock.updated`...
    pub event_type: String,
    /// The version of the payload's shape.
    pub schema_version: u32,
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
    pub occurred_at: OffsetDateTime,
    /// The request that caused it.
    pub request_id: Option<String>,
}

impl RecordedEvent {
    /// The payload, read by the event's declared type and version.
    ///
    /// # Errors
    /// [`DecodeError`] for a type or version this build does not know, or a payload of the
    /// wrong shape.
    pub fn decode(&self) -> Result<(EventType, EventPayload), DecodeError> {
        decode(&self.event_type, self.schema_version, &self.payload)
    }
}

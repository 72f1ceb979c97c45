//! The JSON of one event, as the HTTP replay and `inventory events tail` print it.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::RecordedEvent;

/// One event with its payload as JSON. The payload is passed through as stored, not decoded:
/// the log shows every event, including types a reader of this build would skip.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct EventEnvelope {
    /// Position in the log: strictly increasing in commit order, never reused.
    pub seq: u64,
    /// Stable id, the same on every delivery.
    pub event_id: String,
    /// `stock.updated`, `reservation.created`...
    pub event_type: String,
    /// The version of the payload's shape (1).
    pub schema_version: u32,
    /// `product`, `store`, `stock` or `reservation`.
    pub aggregate_type: String,
    /// Which one.
    pub aggregate_id: String,
    /// The store concerned, if any.
    pub store_id: Option<String>,
    /// The product concerned, if any.
    pub product_id: Option<String>,
    /// The event's data: see the AsyncAPI document for each type's shape.
    #[cfg_attr(feature = "schema", schema(value_type = Object))]
    pub payload: Value,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The request that caused it.
    pub request_id: Option<String>,
}

impl From<RecordedEvent> for EventEnvelope {
    fn from(event: RecordedEvent) -> Self {
        Self {
            seq: event.seq,
            event_id: event.event_id.to_string(),
            // The outbox only holds JSON (the SQL checks it); text is kept rather than lost.
            payload: serde_json::from_str(&event.payload).unwrap_or(Value::String(event.payload)),
            event_type: event.event_type,
            schema_version: event.schema_version,
            aggregate_type: event.aggregate_type,
            aggregate_id: event.aggregate_id,
            store_id: event.store_id,
            product_id: event.product_id,
            occurred_at: event.occurred_at,
            request_id: event.request_id,
        }
    }
}

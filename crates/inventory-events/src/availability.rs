//! The availability view of an event: what the live stream (SSE) sends to browsers.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{DecodeError, RecordedEvent};

/// One availability change. Only events that moved stock have one; it carries no customer or
/// reservation ids, so it is safe for anonymous clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AvailabilityChange {
    /// The event's sequence number (also the SSE `id`).
    pub seq: u64,
    /// What happened: `stock.updated`, `reservation.created`...
    pub event_type: String,
    /// The product.
    pub product_id: String,
    /// The store.
    pub store_id: String,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// `quantity - reserved`.
    pub available: u32,
    /// The stock's version.
    pub version: u64,
    /// When it changed.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
}

impl AvailabilityChange {
    /// The availability change in `event`: `Ok(None)` for events that move no stock.
    ///
    /// # Errors
    /// [`DecodeError`] when the event cannot be read (an unknown type or version): the caller
    /// skips it and counts it.
    pub fn of(event: &RecordedEvent) -> Result<Option<Self>, DecodeError> {
        let (event_type, payload) = event.decode()?;
        Ok(payload.stock().map(|stock| Self {
            seq: event.seq,
            event_type: event_type.as_str().to_owned(),
            product_id: stock.product_id.clone(),
            store_id: stock.store_id.clone(),
            quantity: stock.quantity,
            reserved: stock.reserved,
            available: stock.available,
            version: stock.version,
            occurred_at: event.occurred_at,
        }))
    }
}

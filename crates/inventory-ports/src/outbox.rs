//! Outbox records: a domain event on its way into the outbox, in the same transaction as the
//! change it describes. What comes back out is a [`RecordedEvent`] (its format belongs to
//! `inventory-events`).

use inventory_domain::{DomainEvent, EventId, MovementReference, StockMovement};
pub use inventory_events::RecordedEvent;
use inventory_events::{EncodedEvent, EventType};
use time::OffsetDateTime;

/// A change to store and the event that announces it: [`crate::WriteTx::record`] writes both.
/// Built only by [`NewEvent::new`], which encodes the change, so the state an adapter stores
/// (from [`NewEvent::change`]) and the outbox row it writes (from [`NewEvent::wire`]) always
/// describe the same change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    event_id: EventId,
    occurred_at: OffsetDateTime,
    request_id: Option<String>,
    change: DomainEvent,
    wire: EncodedEvent,
    movement: Option<StockMovement>,
    actor: Option<String>,
}

impl NewEvent {
    /// The outbox record of `change`.
    ///
    /// # Errors
    /// When the change cannot be encoded (a timestamp beyond year 9999: a bug in whoever made
    /// it).
    pub fn new(
        change: DomainEvent,
        event_id: EventId,
        occurred_at: OffsetDateTime,
        request_id: Option<String>,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            wire: inventory_events::encode(&change)?,
            movement: change.movement(),
            event_id,
            occurred_at,
            request_id,
            change,
            actor: None,
        })
    }

    /// This record, attributed to `actor`, its movement (if any) referring to `reference`
    /// when the change itself names nothing (a transfer's or an import's stock changes).
    #[must_use]
    pub fn attributed(
        mut self,
        actor: Option<String>,
        reference: Option<MovementReference>,
    ) -> Self {
        self.actor = actor;
        if let Some(movement) = &mut self.movement {
            movement.reference = movement.reference.or(reference);
        }
        self
    }

    /// The stock movement this change made, which storage writes with the event (keyed by
    /// the event's seq): `None` when it moved no units.
    pub fn movement(&self) -> Option<&StockMovement> {
        self.movement.as_ref()
    }

    /// Who acted, when known.
    pub fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// Stable id: the same event keeps it through every re-delivery.
    pub fn event_id(&self) -> EventId {
        self.event_id
    }

    /// When the change happened.
    pub fn occurred_at(&self) -> OffsetDateTime {
        self.occurred_at
    }

    /// The request that caused it.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The change, with the state after it: what the adapter stores.
    pub fn change(&self) -> &DomainEvent {
        &self.change
    }

    /// The change as the outbox row holds it (names, ids, JSON payload).
    pub fn wire(&self) -> &EncodedEvent {
        &self.wire
    }

    /// `stock.updated`...
    pub fn event_type(&self) -> EventType {
        self.wire.event_type
    }

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
}

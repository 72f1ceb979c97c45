//! The one way use cases touch storage: [`Ports::change`] for writes, [`Ports::query`] for
//! reads.
//!
//! A change runs in one write transaction. Inside it, [`Change::record`] is the only way to
//! change state: it encodes the domain event (with a new event id, the transaction's time and
//! the request id) and hands it to [`inventory_ports::WriteTx::record`], which stores the state
//! the event carries and the event's outbox row together. Opening the transaction, timing it,
//! encoding and recording live here, once, for every write path.

use std::sync::Arc;

use inventory_domain::{DomainEvent, EventId, Reservation};
use inventory_ports::{
    Clock, Failure, IdGenerator, InventoryError, InventoryStore, InventoryStoreExt, NewEvent,
    ReadTx, RequestContext, WriteTx,
};
use time::OffsetDateTime;
use uuid::Uuid;

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

impl Ports {
    /// Runs `work` as one change: one write transaction that commits everything `work`
    /// recorded, or nothing if it returns an error.
    pub(crate) fn change<T: Send + 'static>(
        &self,
        context: &RequestContext,
        work: impl FnOnce(&mut Change<'_>) -> Result<T, InventoryError> + Send + 'static,
    ) -> Result<T, InventoryError> {
        let ids = Arc::clone(&self.ids);
        let clock = Arc::clone(&self.clock);
        let request_id = context.request_id.clone();
        self.store.write_with(move |tx| {
            // Read inside the transaction: event times then follow commit order.
            let now = clock.now();
            work(&mut Change {
                tx,
                ids: &*ids,
                now,
                request_id,
            })
        })
    }

    /// Runs `work` on a consistent snapshot.
    pub(crate) fn query<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn ReadTx) -> Result<T, InventoryError> + Send + 'static,
    ) -> Result<T, InventoryError> {
        self.store.read_with(work)
    }
}

/// A change in progress: what it may read, and the one way it may write.
pub(crate) struct Change<'tx> {
    tx: &'tx mut dyn WriteTx,
    ids: &'tx dyn IdGenerator,
    now: OffsetDateTime,
    request_id: Option<String>,
}

impl Change<'_> {
    /// Reads inside the transaction (they see what it recorded so far).
    pub(crate) fn read(&self) -> &dyn ReadTx {
        &*self.tx
    }

    /// The time of this change: one instant for everything it records.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// A new id for something this change creates.
    pub(crate) fn new_id(&self) -> Uuid {
        self.ids.new_id()
    }

    /// Stores the state `event` carries and appends the event to the outbox; returns its
    /// sequence number.
    ///
    /// # Errors
    /// As [`WriteTx::record`]; [`InventoryError::Internal`] when the event cannot be encoded.
    pub(crate) fn record(&mut self, event: DomainEvent) -> Result<u64, InventoryError> {
        let wire = inventory_events::encode(&event).map_err(|error| {
            InventoryError::Internal(Failure::caused_by("an event could not be encoded", error))
        })?;
        self.tx.record(&NewEvent {
            event_id: EventId::from_uuid(self.ids.new_id()),
            occurred_at: self.now,
            request_id: self.request_id.clone(),
            change: event,
            wire,
        })
    }

    /// Claims up to `limit` reservations due at `now` for this transaction.
    ///
    /// # Errors
    /// Storage failures only.
    pub(crate) fn claim_due_reservations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError> {
        self.tx.claim_due_reservations(now, limit)
    }
}

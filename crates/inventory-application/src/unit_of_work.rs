//! The one way use cases touch storage: [`Ports::change`] for writes, [`Ports::query`] for
//! reads.
//!
//! A change the database gave up on (a deadlock between two instances' transactions, a
//! serialization failure: [`InventoryError::is_transient`]) is run again, a few times, after a
//! pause of a few milliseconds; its work is a `Fn` for that reason.
//!
//! A change runs in one write transaction. Inside it, [`Change::record`] is the only way to
//! change state: it encodes the domain event (with a new event id, the transaction's time and
//! the request id) and hands it to [`inventory_ports::WriteTx::record`], which stores the state
//! the event carries and the event's outbox row together. Opening the transaction, timing it,
//! encoding and recording live here, once, for every write path.

use std::sync::Arc;
use std::time::Duration;

use inventory_domain::{DomainEvent, EventId, MovementReference, Reservation, alert_for};
use inventory_ports::{
    Clock, Failure, IdGenerator, Idempotency, InventoryError, InventoryStore, InventoryStoreExt,
    NewEvent, ReadTx, RequestContext, StoredResponse, WriteTx,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::AvailabilityCache;

/// The driven ports the use cases need.
#[derive(Clone)]
pub struct Ports {
    /// Where the inventory lives.
    pub store: Arc<dyn InventoryStore>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Where new ids come from.
    pub ids: Arc<dyn IdGenerator>,
    /// The availability read model, told of every change (`None`: reads go to the
    /// database).
    pub read_cache: Option<Arc<AvailabilityCache>>,
}

/// How many times a change is attempted when the database keeps giving up on it.
const MAX_ATTEMPTS: u32 = 5;

impl Ports {
    /// Runs `work` as one change: one write transaction that commits everything `work`
    /// recorded, or nothing if it returns an error. Attempts the database gave up on are run
    /// again (see the module docs).
    pub(crate) fn change<T: Send + 'static>(
        &self,
        context: &RequestContext,
        work: impl Fn(&mut Change<'_>) -> Result<T, InventoryError> + Send + Sync + 'static,
    ) -> Result<T, InventoryError> {
        let work = Arc::new(work);
        let mut attempt = 1;
        loop {
            let ids = Arc::clone(&self.ids);
            let clock = Arc::clone(&self.clock);
            let request_id = context.request_id.clone();
            let actor = context.actor.clone();
            let idempotency = context.idempotency.clone();
            let work = Arc::clone(&work);
            let read_cache = self.read_cache.clone();
            let result = self.store.write_with(move |tx| {
                // Read inside the transaction: event times then follow commit order.
                let now = clock.now();
                if let Some(idempotency) = &idempotency {
                    answered_before(tx, idempotency)?;
                }
                let value = work(&mut Change {
                    tx,
                    ids: &*ids,
                    now,
                    request_id,
                    actor,
                    reference: None,
                    read_cache: read_cache.as_deref(),
                })?;
                if let Some(idempotency) = &idempotency {
                    store_answer(tx, idempotency, &value, now)?;
                }
                Ok(value)
            });
            match result {
                Err(error) if error.is_transient() && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(
                        attempt,
                        "the database gave up on a change; running it again"
                    );
                    std::thread::sleep(retry_pause(attempt));
                    attempt += 1;
                }
                other => return other,
            }
        }
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
    actor: Option<String>,
    reference: Option<MovementReference>,
    read_cache: Option<&'tx AvailabilityCache>,
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

    /// Makes the stock movements recorded from now on refer to `reference` (a transfer's or
    /// an import's stock changes), unless their change names its own.
    pub(crate) fn refer_to(&mut self, reference: MovementReference) {
        self.reference = Some(reference);
    }

    /// Stores the state `event` carries and appends the event to the outbox; storage writes
    /// the stock movement it made (if any) with it. A movement that takes a pair across its
    /// low-stock threshold also records the alert (`stock.low` / `stock.replenished`), so an
    /// alert is never missed nor raised twice, whatever path moved the stock.
    ///
    /// # Errors
    /// As [`WriteTx::record`]; [`InventoryError::Internal`] when the event cannot be encoded.
    pub(crate) fn record(&mut self, event: DomainEvent) -> Result<(), InventoryError> {
        let alert = self.alert_after(&event)?;
        let event = NewEvent::new(
            event,
            EventId::from_uuid(self.ids.new_id()),
            self.now,
            self.request_id.clone(),
        )
        .map_err(|error| {
            InventoryError::Internal(Failure::caused_by("an event could not be encoded", error))
        })?
        .attributed(self.actor.clone(), self.reference);
        self.tx.record(&event)?;
        if let Some(cache) = self.read_cache {
            cache.note(event.change());
        }
        match alert {
            Some(alert) => self.record(alert),
            None => Ok(()),
        }
    }

    /// The alert `event` raises, if its movement crosses the pair's threshold.
    fn alert_after(&self, event: &DomainEvent) -> Result<Option<DomainEvent>, InventoryError> {
        let (Some(movement), Some(stock)) = (event.movement(), event.stock()) else {
            return Ok(None);
        };
        if movement.available_before() == movement.available_after() {
            return Ok(None);
        }
        let threshold = self
            .tx
            .low_stock_threshold(movement.product_id, &movement.store_id)?;
        // A pair that had no stock record was not watched yet: its first stock can make it
        // low, never "replenished".
        let watched_before = match event {
            DomainEvent::StockCreated { .. } => None,
            _ => threshold,
        };
        Ok(threshold.and_then(|_| {
            alert_for(
                stock,
                movement.available_before(),
                watched_before,
                threshold,
            )
        }))
    }

    /// Records `events` in order (a rule that changes several things reports them all).
    ///
    /// # Errors
    /// As [`Change::record`].
    pub(crate) fn record_all(&mut self, events: Vec<DomainEvent>) -> Result<(), InventoryError> {
        events.into_iter().try_for_each(|event| self.record(event))
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

    /// Claims up to `limit` carts due at `now` for this transaction.
    ///
    /// # Errors
    /// Storage failures only.
    pub(crate) fn claim_due_carts(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<inventory_domain::Cart>, InventoryError> {
        self.tx.claim_due_carts(now, limit)
    }

    /// Sets the low-stock threshold of `scope`, recorded as set by this change's actor.
    ///
    /// # Errors
    /// As [`WriteTx::set_low_stock_threshold`].
    pub(crate) fn set_low_stock_threshold(
        &mut self,
        scope: &inventory_domain::ThresholdScope,
        threshold: Option<u32>,
    ) -> Result<(), InventoryError> {
        let actor = self.actor.clone();
        self.tx
            .set_low_stock_threshold(scope, threshold, actor.as_deref(), self.now)
    }

    /// Forgets up to `limit` idempotency answers stored before `before`.
    ///
    /// # Errors
    /// Storage failures only.
    pub(crate) fn purge_responses(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u32, InventoryError> {
        self.tx.purge_responses(before, limit)
    }

    /// Registers a webhook endpoint (configuration: no event).
    ///
    /// # Errors
    /// As [`WriteTx::create_webhook`].
    pub(crate) fn create_webhook(
        &mut self,
        webhook: &inventory_ports::Webhook,
    ) -> Result<(), InventoryError> {
        self.tx.create_webhook(webhook)
    }

    /// Removes a webhook endpoint and its log; false when there was none.
    ///
    /// # Errors
    /// Storage failures only.
    pub(crate) fn delete_webhook(
        &mut self,
        id: inventory_ports::WebhookId,
    ) -> Result<bool, InventoryError> {
        self.tx.delete_webhook(id)
    }

    /// Moves a webhook's cursor from `from` to `to` if it is still at `from`.
    ///
    /// # Errors
    /// Storage failures only.
    pub(crate) fn move_webhook_cursor(
        &mut self,
        id: inventory_ports::WebhookId,
        from: u64,
        to: u64,
    ) -> Result<bool, InventoryError> {
        self.tx.move_webhook_cursor(id, from, to)
    }

    /// Appends a line to a webhook's delivery log.
    ///
    /// # Errors
    /// Storage failures only.
    pub(crate) fn log_webhook_delivery(
        &mut self,
        delivery: &inventory_ports::WebhookDelivery,
    ) -> Result<(), InventoryError> {
        self.tx.log_webhook_delivery(delivery)
    }
}

/// Refuses to run a change whose key already has an answer: the same request gets that
/// answer back ([`InventoryError::Replayed`]), another request under the same key
/// [`InventoryError::IdempotencyKeyReused`]. The lookup waits for a first request with the key
/// still running (the port's promise), so the work never runs twice.
fn answered_before(tx: &dyn ReadTx, idempotency: &Idempotency) -> Result<(), InventoryError> {
    match tx.stored_response(&idempotency.key)? {
        None => Ok(()),
        Some(stored) if stored.fingerprint == idempotency.fingerprint => {
            Err(InventoryError::Replayed(Box::new(stored)))
        }
        Some(_) => Err(InventoryError::IdempotencyKeyReused),
    }
}

/// Stores the answer to a keyed change in its own transaction: kept if and only if the
/// change is.
fn store_answer<T: 'static>(
    tx: &mut dyn WriteTx,
    idempotency: &Idempotency,
    value: &T,
    now: OffsetDateTime,
) -> Result<(), InventoryError> {
    let (status, body) = (idempotency.render)(value).ok_or_else(|| {
        InventoryError::internal(format!(
            "the answer to a keyed request cannot render a {}",
            std::any::type_name::<T>()
        ))
    })?;
    tx.store_response(
        &idempotency.key,
        &StoredResponse {
            fingerprint: idempotency.fingerprint.clone(),
            status,
            body,
            created_at: now,
        },
    )
}

/// A few milliseconds, longer with each attempt and spread so two instances that deadlocked
/// do not meet again at once.
fn retry_pause(attempt: u32) -> Duration {
    let spread = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| now.subsec_nanos() % 1_000_000);
    Duration::from_millis(u64::from(attempt)) + Duration::from_nanos(u64::from(spread))
}

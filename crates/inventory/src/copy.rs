//! Moving an inventory to another database (SQLite to PostgreSQL, when a chain outgrows one
//! host) by replaying its event log into an empty one.
//!
//! Every event carries the whole state after its change, so the log replayed change by change,
//! in seq order, rebuilds the catalogue, the stores, the stock and every reservation (open ones
//! still open, due ones left for the expiry worker). The copy keeps each event's id, time and
//! request id, and an empty log numbers them from 1 in the same order: the new database has
//! the same log with the same seqs, so the Redis stream and every consumer's position stay
//! valid across the move. Afterwards the two databases are compared, row for row.

use inventory_domain::{EventId, ReservationStatus};
use inventory_events::restore;
use inventory_ports::{
    InventoryError, InventoryStore, InventoryStoreExt, NewEvent, Page, ProductFilter,
    ReservationFilter, StockFilter,
};

use crate::Inventory;

/// Events replayed per transaction.
const EVENTS_PER_TRANSACTION: u32 = 500;

/// What a copy moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Events replayed (the destination's log now ends at this seq, as the source's did).
    pub events: u64,
    /// Products in both databases.
    pub products: u64,
    /// Stock records in both.
    pub stock_records: u64,
    /// Reservations in both (of which `pending` still hold units).
    pub reservations: u64,
    /// PENDING reservations.
    pub pending: u64,
}

/// Why a copy stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The destination already has events: a copy goes into an empty database only.
    #[error("the destination is not empty: its event log ends at seq {0}")]
    DestinationNotEmpty(u64),
    /// An event of the source cannot be replayed exactly.
    #[error("event {seq} ({event_type}) cannot be copied exactly: {reason}")]
    Unreplayable {
        /// Its seq.
        seq: u64,
        /// Its type.
        event_type: String,
        /// Why.
        reason: String,
    },
    /// The copy does not match the source (a bug; the destination should be discarded).
    #[error("the copy differs from the source: {0}")]
    Mismatch(String),
    /// A database failed.
    #[error("storage")]
    Storage(#[from] InventoryError),
}

impl Inventory {
    /// Copies this inventory into `destination`, an empty database (freshly migrated: no
    /// events), by replaying the event log; then checks that both hold the same products,
    /// stock records and reservations. Stop writing to this inventory first: changes made
    /// during the copy may be missed.
    ///
    /// # Errors
    /// [`CopyError::DestinationNotEmpty`], [`CopyError::Unreplayable`] for an event that would
    /// not come out the same, [`CopyError::Mismatch`] when the result differs, and storage
    /// failures.
    pub fn copy_into(&self, destination: &Inventory) -> Result<CopyReport, CopyError> {
        let existing = destination.events().last_seq()?;
        if existing > 0 {
            return Err(CopyError::DestinationNotEmpty(existing));
        }
        let mut copied = 0;
        loop {
            let after = copied;
            let page = self
                .store
                .read_with(move |tx| tx.events_after(after, EVENTS_PER_TRANSACTION))?;
            let Some(last) = page.last() else {
                break;
            };
            let last_seq = last.seq;
            let events = page
                .iter()
                .map(replayable)
                .collect::<Result<Vec<NewEvent>, CopyError>>()?;
            destination.store.write_with(move |tx| {
                for event in &events {
                    tx.record(event)?;
                }
                Ok(())
            })?;
            copied = last_seq;
        }
        let now = destination.events().last_seq()?;
        if now != copied {
            return Err(CopyError::Mismatch(format!(
                "the source's log ends at seq {copied}, the copy's at {now}"
            )));
        }
        compare(&*self.store, &*destination.store, copied)
    }
}

/// The event to record again: the same change, id, time and request id, checked to encode to
/// the very payload the source stored.
fn replayable(event: &inventory_events::RecordedEvent) -> Result<NewEvent, CopyError> {
    let refuse = |reason: String| CopyError::Unreplayable {
        seq: event.seq,
        event_type: event.event_type.clone(),
        reason,
    };
    let change = restore(&event.event_type, event.schema_version, &event.payload)
        .map_err(|error| refuse(error.to_string()))?;
    let again = NewEvent::new(
        change,
        EventId::from_uuid(event.event_id.as_uuid()),
        event.occurred_at,
        event.request_id.clone(),
    )
    .map_err(|error| refuse(error.to_string()))?;
    let wire = again.wire();
    if wire.payload != event.payload
        || wire.event_type.as_str() != event.event_type
        || wire.aggregate_id != event.aggregate_id
    {
        return Err(refuse("it encodes differently in this build".into()));
    }
    Ok(again)
}

/// Both databases' products, stock records and reservations, page by page, side by side.
fn compare(
    source: &dyn InventoryStore,
    copy: &dyn InventoryStore,
    events: u64,
) -> Result<CopyReport, CopyError> {
    let mut report = CopyReport {
        events,
        products: 0,
        stock_records: 0,
        reservations: 0,
        pending: 0,
    };
    let mut offset = 0;
    loop {
        let page = Page::new(Some(500), Some(offset)).map_err(InventoryError::from)?;
        let read = |store: &dyn InventoryStore| {
            store.read_with(move |tx| {
                let products = tx.list_products(&ProductFilter::default(), page)?.0;
                let stock = tx.list_stock(&StockFilter::default(), page)?.0;
                let reservations = tx.list_reservations(&ReservationFilter::default(), page)?.0;
                Ok((products, stock, reservations))
            })
        };
        let original = read(source)?;
        if original != read(copy)? {
            return Err(CopyError::Mismatch(format!(
                "rows {offset} to {} differ",
                offset + 500
            )));
        }
        let (products, stock, reservations) = original;
        report.products += products.len() as u64;
        report.stock_records += stock.len() as u64;
        report.reservations += reservations.len() as u64;
        report.pending += reservations
            .iter()
            .filter(|r| r.status() == ReservationStatus::Pending)
            .count() as u64;
        if products.len() < 500 && stock.len() < 500 && reservations.len() < 500 {
            return Ok(report);
        }
        offset += 500;
    }
}

//! The outbox read back in order: the source of truth for replays, relays and live streams.

use inventory_domain::{StoreId, ValidationError};
use inventory_ports::{InventoryError, RecordedEvent};

use crate::Ports;

/// Reads the event log.
#[derive(Clone)]
pub struct EventLog {
    ports: Ports,
}

impl EventLog {
    /// The most events one read returns.
    pub const MAX_PAGE: u32 = 1000;

    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Up to `limit` events with a sequence number above `after_seq`, in commit order. A
    /// reader that continues from the last seq it saw sees every event once.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] when `limit` is 0 or above [`EventLog::MAX_PAGE`].
    pub fn after(&self, after_seq: u64, limit: u32) -> Result<Vec<RecordedEvent>, InventoryError> {
        check_limit(limit)?;
        self.ports
            .query(move |tx| tx.events_after(after_seq, limit))
    }

    /// As [`EventLog::after`], only `store`'s events and the catalogue's: what its staff may
    /// read.
    ///
    /// # Errors
    /// As [`EventLog::after`].
    pub fn store_after(
        &self,
        store: StoreId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        check_limit(limit)?;
        self.ports
            .query(move |tx| tx.store_events_after(&store, after_seq, limit))
    }

    /// The highest sequence number readers can see (0 for an empty log).
    ///
    /// # Errors
    /// Storage failures only.
    pub fn last_seq(&self) -> Result<u64, InventoryError> {
        self.ports.query(|tx| tx.last_event_seq())
    }
}

fn check_limit(limit: u32) -> Result<(), InventoryError> {
    if (1..=EventLog::MAX_PAGE).contains(&limit) {
        Ok(())
    } else {
        Err(ValidationError::new(
            "limit",
            format!("must be between 1 and {}", EventLog::MAX_PAGE),
        )
        .into())
    }
}

//! The outbox read back in order: the source of truth for replays, relays and live streams.

use inventory_domain::ValidationError;

use super::Ports;
use crate::{InventoryError, InventoryStoreExt, OutboxBacklog, RecordedEvent};

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

    /// Up to `limit` events with a sequence number above `after_seq`, in commit order.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] when `limit` is 0 or above [`EventLog::MAX_PAGE`].
    pub fn after(&self, after_seq: u64, limit: u32) -> Result<Vec<RecordedEvent>, InventoryError> {
        Self::check_limit(limit)?;
        self.ports
            .store
            .read_with(move |tx| tx.events_after(after_seq, limit))
    }

    /// The highest sequence number written so far (0 for an empty log).
    ///
    /// # Errors
    /// Storage failures only.
    pub fn last_seq(&self) -> Result<u64, InventoryError> {
        self.ports.store.read_with(|tx| tx.last_event_seq())
    }

    /// Up to `limit` events the relay has not published yet, in order.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] for a `limit` out of range.
    pub fn unpublished(&self, limit: u32) -> Result<Vec<RecordedEvent>, InventoryError> {
        Self::check_limit(limit)?;
        self.ports
            .store
            .read_with(move |tx| tx.unpublished_events(limit))
    }

    /// Records that every event up to `up_to_seq` is in the broker.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn mark_published(&self, up_to_seq: u64) -> Result<u64, InventoryError> {
        let clock = self.ports.clock.clone();
        self.ports
            .store
            .write_with(move |tx| tx.mark_published(up_to_seq, clock.now()))
    }

    /// What waits to be published.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn backlog(&self) -> Result<OutboxBacklog, InventoryError> {
        self.ports.store.read_with(|tx| tx.outbox_backlog())
    }

    fn check_limit(limit: u32) -> Result<(), InventoryError> {
        if !(1..=Self::MAX_PAGE).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX_PAGE),
            )
            .into());
        }
        Ok(())
    }
}

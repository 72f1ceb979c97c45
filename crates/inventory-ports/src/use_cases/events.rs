//! The outbox read back in order: the source of truth for replays, relays and live streams.

use inventory_domain::ValidationError;

use super::Ports;
use crate::{InventoryError, InventoryStoreExt, RecordedEvent};

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
        if !(1..=Self::MAX_PAGE).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX_PAGE),
            )
            .into());
        }
        self.ports
            .store
            .read_with(move |tx| tx.events_after(after_seq, limit))
    }
}

//! The outbox read back in order: the source of truth for replays, relays and live streams.

use inventory_domain::ValidationError;
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
        if !(1..=Self::MAX_PAGE).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX_PAGE),
            )
            .into());
        }
        self.ports
            .query(move |tx| tx.events_after(after_seq, limit))
    }

    /// The highest sequence number readers can see (0 for an empty log).
    ///
    /// # Errors
    /// Storage failures only.
    pub fn last_seq(&self) -> Result<u64, InventoryError> {
        self.ports.query(|tx| tx.last_event_seq())
    }
}

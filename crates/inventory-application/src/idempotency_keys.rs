//! The stored answers of idempotency keys, forgotten once a client can no longer be retrying.

use std::time::Duration;

use inventory_ports::{InventoryError, RequestContext};
use time::OffsetDateTime;

use crate::Ports;

/// Forgets the answers stored for idempotency keys once they are old enough.
#[derive(Clone)]
pub struct IdempotencyKeys {
    ports: Ports,
}

impl IdempotencyKeys {
    /// The most answers one purge transaction forgets, so other writers are never held up
    /// for long.
    pub const PURGE_BATCH: u32 = 1_000;

    /// How long an answer is kept by default: a client retrying later than this sends a new
    /// request (as Stripe and Shopify do).
    pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Forgets every answer stored more than `retention` before `now`; returns how many.
    ///
    /// # Errors
    /// Storage failures (what earlier batches forgot stays forgotten).
    pub fn purge(&self, now: OffsetDateTime, retention: Duration) -> Result<u64, InventoryError> {
        let before = now - retention;
        let mut purged = 0;
        loop {
            let gone = self
                .ports
                .change(&RequestContext::default(), move |change| {
                    change.purge_responses(before, Self::PURGE_BATCH)
                })?;
            purged += u64::from(gone);
            if gone < Self::PURGE_BATCH {
                return Ok(purged);
            }
        }
    }
}

//! Releases reservations when their time runs out.
//!
//! The design document ticked every 30 s, so a reservation could hold stock half a minute too
//! long. This worker sleeps until the next `expires_at` and releases it then. It re-reads the
//! next deadline at least every second, which also catches reservations made meanwhile (by
//! this or another process): every TTL is at least a second, so none can fall due before the
//! next look. Every instance may run one: each reservation is claimed, and expired, once.
//! Storage errors are logged and retried with backoff; the worker never stops on its own.

use std::sync::Arc;
use std::time::Duration;

use inventory_ports::{Clock, ErrorChain, InventoryError};
use time::OffsetDateTime;
use tokio::sync::watch;

use super::{Backoff, WorkerObserver, blocking, pause_or_stop};
use crate::Reservations;

/// The longest the worker sleeps without looking at the next deadline.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// Releases due reservations, on time.
pub struct ExpiryWorker {
    reservations: Reservations,
    clock: Arc<dyn Clock>,
    observer: Arc<dyn WorkerObserver>,
    batch: u32,
}

impl ExpiryWorker {
    /// A worker releasing up to `batch` reservations per transaction (1 to
    /// [`Reservations::MAX_EXPIRY_BATCH`]).
    pub fn new(
        reservations: Reservations,
        clock: Arc<dyn Clock>,
        observer: Arc<dyn WorkerObserver>,
        batch: u32,
    ) -> Self {
        Self {
            reservations,
            clock,
            observer,
            batch,
        }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("expiry worker started");
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        loop {
            let pause = match self.release_due().await {
                Ok(next) => {
                    backoff.reset();
                    until(next, self.clock.now())
                }
                Err(error) => {
                    let pause = backoff.failed();
                    tracing::warn!(error = %ErrorChain(&error), retry_in_ms = pause.as_millis() as u64, "expiry worker: storage error; retrying");
                    pause
                }
            };
            if pause_or_stop(pause, &mut shutdown).await {
                break;
            }
        }
        tracing::info!("expiry worker stopped");
    }

    /// Releases what is due now; returns the next deadline.
    ///
    /// # Errors
    /// Storage failures (what earlier batches released stays released).
    pub async fn release_due(&self) -> Result<Option<OffsetDateTime>, InventoryError> {
        let reservations = self.reservations.clone();
        let now = self.clock.now();
        let batch = self.batch;
        let (released, next) = blocking(move || {
            let released = reservations.expire_due(now, batch)?;
            Ok((released, reservations.next_expiry()?))
        })
        .await?;
        if released > 0 {
            tracing::info!(released, "released expired reservations");
            self.observer.expired(released);
        }
        Ok(next)
    }
}

/// How long to sleep before `next` (never more than [`MAX_IDLE`]).
fn until(next: Option<OffsetDateTime>, now: OffsetDateTime) -> Duration {
    match next {
        None => MAX_IDLE,
        Some(deadline) => {
            let wait = deadline - now;
            if wait.is_negative() {
                Duration::ZERO
            } else {
                Duration::try_from(wait).unwrap_or(MAX_IDLE).min(MAX_IDLE)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_worker_sleeps_until_the_next_deadline_but_never_more_than_a_second() {
        let now = datetime!(2025-10-26 17:00 UTC);
        assert_eq!(until(None, now), MAX_IDLE);
        assert_eq!(
            until(Some(now + time::Duration::milliseconds(250)), now),
            Duration::from_millis(250)
        );
        assert_eq!(until(Some(now + time::Duration::minutes(5)), now), MAX_IDLE);
        assert_eq!(
            until(Some(now - time::Duration::seconds(1)), now),
            Duration::ZERO
        );
    }
}

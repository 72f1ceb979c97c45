//! Releases reservations when their time runs out.
//!
//! The design document ticked every 30 s, so a reservation could hold stock half a minute too
//! long. This worker sleeps until the next `expires_at` and releases it then. It re-reads the
//! next deadline at least every second, which also catches reservations made meanwhile (by
//! this or another process): every TTL is at least a second, so none can fall due before the
//! next look. Database errors are logged and retried; the worker never stops on its own.

use std::sync::Arc;
use std::time::Duration;

use inventory::{Clock, Reservations};
use inventory_adapter_http::Metrics;
use tokio::sync::watch;

/// The longest the worker sleeps without looking at the next deadline.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// How long the worker waits after a database error before trying again.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Runs until `shutdown` turns true.
pub async fn run(
    reservations: Reservations,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    batch: u32,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!("expiry worker started");
    loop {
        let pause = match release_due(&reservations, &clock, &metrics, batch).await {
            Ok(next) => until(next, clock.now()),
            Err(error) => {
                tracing::warn!(%error, "expiry worker: database error; retrying");
                ERROR_BACKOFF
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    tracing::info!("expiry worker stopped");
}

/// Releases what is due and returns the next deadline.
async fn release_due(
    reservations: &Reservations,
    clock: &Arc<dyn Clock>,
    metrics: &Metrics,
    batch: u32,
) -> Result<Option<time::OffsetDateTime>, inventory::InventoryError> {
    let work = reservations.clone();
    let now = clock.now();
    let (released, next) = tokio::task::spawn_blocking(move || {
        let released = work.expire_due(now, batch)?;
        Ok::<_, inventory::InventoryError>((released, work.next_expiry()?))
    })
    .await
    .map_err(|error| {
        inventory::InventoryError::Internal(format!("expiry task failed: {error}"))
    })??;
    if released > 0 {
        tracing::info!(released, "released expired reservations");
        metrics
            .reservations
            .with_label_values(&["expired"])
            .inc_by(released as u64);
        metrics
            .stock_operations
            .with_label_values(&["expire", "all", "ok"])
            .inc_by(released as u64);
    }
    Ok(next)
}

/// How long to sleep before `next` (never more than [`MAX_IDLE`]).
fn until(next: Option<time::OffsetDateTime>, now: time::OffsetDateTime) -> Duration {
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

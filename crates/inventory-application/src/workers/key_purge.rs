//! Forgets old idempotency answers in the background.

use std::sync::Arc;
use std::time::Duration;

use inventory_ports::{Clock, ErrorChain};
use tokio::sync::watch;

use super::{Backoff, blocking, pause_or_stop};
use crate::IdempotencyKeys;

/// How often the worker looks for answers to forget: often enough that the table never holds
/// much more than `retention` worth of keys, rarely enough to cost nothing.
const EVERY: Duration = Duration::from_secs(60);

/// Purges idempotency answers older than their retention.
pub struct KeyPurgeWorker {
    keys: IdempotencyKeys,
    clock: Arc<dyn Clock>,
    retention: Duration,
}

impl KeyPurgeWorker {
    /// A worker forgetting answers stored more than `retention` ago.
    pub fn new(keys: IdempotencyKeys, clock: Arc<dyn Clock>, retention: Duration) -> Self {
        Self {
            keys,
            clock,
            retention,
        }
    }

    /// Runs until `shutdown` turns true; storage errors are logged and retried.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Backoff::new(Duration::from_secs(1), EVERY);
        loop {
            let keys = self.keys.clone();
            let now = self.clock.now();
            let retention = self.retention;
            let pause = match blocking(move || keys.purge(now, retention)).await {
                Ok(purged) => {
                    if purged > 0 {
                        tracing::info!(purged, "forgot old idempotency keys");
                    }
                    backoff.reset();
                    EVERY
                }
                Err(error) => {
                    let pause = backoff.failed();
                    tracing::warn!(error = %ErrorChain(&error), retry_in_ms = pause.as_millis() as u64, "idempotency key purge: storage error; retrying");
                    pause
                }
            };
            if pause_or_stop(pause, &mut shutdown).await {
                break;
            }
        }
    }
}

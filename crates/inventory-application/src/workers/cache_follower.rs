//! Keeps the availability read model true to commits this process did not make.

use std::time::Duration;

use inventory_ports::ErrorChain;
use tokio::sync::watch;

use super::{Backoff, blocking, pause_or_stop};
use crate::AvailabilityQuery;

/// Follows the outbox for the availability read model ([`crate::AvailabilityCache`]): a pass
/// every quarter of the staleness bound, so an entry is served only while a pass completed
/// recently enough. One follower per read model; a second returns at once.
pub struct CacheFollower {
    availability: AvailabilityQuery,
}

impl CacheFollower {
    /// A follower for `availability`'s read model.
    pub fn new(availability: AvailabilityQuery) -> Self {
        Self { availability }
    }

    /// Runs until `shutdown` turns true. A failed pass stops the read model from serving
    /// (reads go to the database) until a pass completes again.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        // A read model of no entries (turned off) has nothing to keep true.
        if self.availability.cache_stats().capacity == 0
            || !self.availability.cache().start_following()
        {
            return;
        }
        let every = (self.availability.cache_staleness() / 4).max(Duration::from_millis(5));
        let mut backoff = Backoff::new(every, Duration::from_secs(5));
        let mut after = None;
        loop {
            let availability = self.availability.clone();
            let pause = match blocking(move || availability.follow_outbox(after)).await {
                Ok(seq) => {
                    after = Some(seq);
                    backoff.reset();
                    every
                }
                Err(error) => {
                    self.availability.cache().unfollowed();
                    let pause = backoff.failed();
                    tracing::warn!(error = %ErrorChain(&error), retry_in_ms = pause.as_millis() as u64, "availability read model: cannot follow the outbox; reads go to the database");
                    pause
                }
            };
            if pause_or_stop(pause, &mut shutdown).await {
                break;
            }
        }
        self.availability.cache().stop_following();
    }
}

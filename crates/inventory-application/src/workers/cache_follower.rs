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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use inventory_domain::{ProductId, ProductName};
    use inventory_ports::{SystemClock, UuidV7Ids};
    use inventory_testkit::unavailable::UnavailableStore;
    use tokio::sync::watch;
    use uuid::Uuid;

    use super::CacheFollower;
    use crate::{AvailabilityCache, Ports, ProductAvailability, ReadCacheSettings, UseCases};

    /// A follower that cannot read the outbox stops the read model from serving: it can no
    /// longer tell what other processes changed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_follower_that_cannot_read_the_outbox_stops_the_read_model_serving() {
        let cache = Arc::new(AvailabilityCache::new(ReadCacheSettings {
            entries: 100,
            staleness: Duration::from_secs(3600),
        }));
        let availability = UseCases::new(Ports {
            store: Arc::new(UnavailableStore),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            read_cache: Some(Arc::clone(&cache)),
        })
        .availability;
        let product = ProductId::from_uuid(Uuid::from_u128(1));
        cache.followed(Instant::now());
        cache.fill(
            cache.ticket(product),
            Arc::new(ProductAvailability {
                product_id: product,
                product_name: ProductName::parse("A product").expect("name"),
                total_available: 1,
                stores: Vec::new(),
            }),
        );
        assert!(cache.get(product).is_some(), "served after a pass");

        let (stop, stopped) = watch::channel(false);
        let follower = tokio::spawn(CacheFollower::new(availability).run(stopped));
        let deadline = Instant::now() + Duration::from_secs(10);
        while cache.get(product).is_some() {
            assert!(
                Instant::now() < deadline,
                "still served from memory while the outbox cannot be read"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.send(true).expect("the follower listens");
        follower.await.expect("the follower stops");
    }
}
